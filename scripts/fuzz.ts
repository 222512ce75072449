/**
 * Runs the property suite of issue 3 (tests/property/properties.ts) for as long as asked:
 *
 *   bun run scripts/fuzz.ts [--cases N] [--seconds S] [--seed N] [--property NAME]... [--path PATH]
 *
 * --cases      cases per property (default 100000; 1e6 and 1_000_000 are accepted)
 * --seconds    stop a property early once it has run this long (whole batches)
 * --seed       the first batch's seed (default: random, printed); batch k uses seed + k
 * --property   run only this property (repeatable); --list shows the names
 * --path       with --seed and --property: replay one failure exactly, as printed by a failing run
 *
 * Cases run in batches of 10,000, each a fast-check run with its own seed, so progress can be shown and a
 * failure is reported with the seed and counterexample path of its batch. Exits 1 on any failure.
 */
import fc from "fast-check";
import {
  checkProperty,
  describeFailure,
  findProperty,
  PROPERTIES,
  type PropertyDefinition,
} from "../tests/property/properties.ts";

const BATCH = 10_000;
const PROGRESS_EVERY_MS = 15_000;

interface FuzzOptions {
  cases: number;
  seconds: number;
  seed: number;
  properties: PropertyDefinition[];
  path: string | undefined;
}

function usage(message: string): never {
  console.error(`fuzz: ${message}`);
  console.error(
    "usage: bun run scripts/fuzz.ts [--cases N] [--seconds S] [--seed N] [--property NAME]... [--path PATH] [--list]",
  );
  process.exit(2);
}

function parseNumber(flag: string, text: string | undefined): number {
  const value = Number((text ?? "").replaceAll("_", ""));
  if (text === undefined || !Number.isFinite(value) || value < 0)
    usage(`${flag} needs a non-negative number`);
  return value;
}

function parseArgs(argv: readonly string[]): FuzzOptions {
  let cases = 100_000;
  let seconds = Number.POSITIVE_INFINITY;
  let seed: number | undefined;
  let path: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = () => argv[++i];
    switch (flag) {
      case "--cases":
        cases = Math.floor(parseNumber(flag, value()));
        break;
      case "--seconds":
        seconds = parseNumber(flag, value());
        break;
      case "--seed":
        seed = Number(value());
        if (!Number.isInteger(seed)) usage("--seed needs an integer");
        break;
      case "--property":
        names.push(value() ?? usage("--property needs a name"));
        break;
      case "--path":
        path = value() ?? usage("--path needs a path");
        break;
      case "--list":
        for (const p of PROPERTIES) console.log(`${p.name.padEnd(18)} ${p.summary}`);
        process.exit(0);
        break;
      case "-h":
      case "--help":
        console.log(
          "usage: bun run scripts/fuzz.ts [--cases N] [--seconds S] [--seed N] [--property NAME]... [--path PATH] [--list]",
        );
        process.exit(0);
        break;
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  let properties: PropertyDefinition[];
  try {
    properties = names.length > 0 ? names.map(findProperty) : [...PROPERTIES];
  } catch (error) {
    usage((error as Error).message);
  }
  if (path !== undefined && (seed === undefined || properties.length !== 1)) {
    usage("--path replays one failure: give it with --seed and one --property");
  }
  return { cases, seconds, seed: seed ?? (Math.random() * 0x7fff_ffff) | 0, properties, path };
}

const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US");

async function replay(options: FuzzOptions): Promise<boolean> {
  const definition = options.properties[0] as PropertyDefinition;
  const runIndex = Number(options.path?.split(":")[0] ?? 0);
  const details = await checkProperty(definition, {
    numRuns: runIndex + 1,
    seed: options.seed,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  if (!details.failed) {
    console.log(`${definition.name}: the case at seed ${options.seed}, path ${options.path} passes now`);
    return true;
  }
  console.log(describeFailure(definition.name, details));
  return false;
}

/** Runs one property in batches; returns whether it held. */
async function fuzz(definition: PropertyDefinition, options: FuzzOptions): Promise<boolean> {
  const started = performance.now();
  let lastReport = started;
  let done = 0;
  for (let batch = 0; done < options.cases; batch++) {
    const numRuns = Math.min(BATCH, options.cases - done);
    const seed = (options.seed + batch) | 0;
    const details = await checkProperty(definition, { numRuns, seed });
    if (details.failed) {
      done += details.numRuns;
      console.log(describeFailure(definition.name, details));
      report(definition.name, done, performance.now() - started, "FAILED");
      return false;
    }
    done += numRuns;
    const now = performance.now();
    if (now - started >= options.seconds * 1000) break;
    if (now - lastReport >= PROGRESS_EVERY_MS && done < options.cases) {
      lastReport = now;
      console.log(
        `  ${definition.name}: ${formatCount(done)} cases so far, ${formatCount(done / ((now - started) / 1000))} cases/s`,
      );
    }
  }
  report(definition.name, done, performance.now() - started, "ok");
  return true;
}

function report(name: string, cases: number, ms: number, verdict: string): void {
  const seconds = ms / 1000;
  console.log(
    `${name.padEnd(18)} ${formatCount(cases).padStart(11)} cases  ${seconds.toFixed(1).padStart(7)} s  ${formatCount(cases / seconds).padStart(8)} cases/s  ${verdict}`,
  );
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.path !== undefined) process.exit((await replay(options)) ? 0 : 1);
  console.log(
    `fuzz: ${formatCount(options.cases)} cases per property, seed ${options.seed} (batch k: seed + k), ` +
      `fast-check ${fc.__version}, bun ${typeof Bun === "undefined" ? "-" : Bun.version}`,
  );
  let ok = true;
  for (const definition of options.properties) ok = (await fuzz(definition, options)) && ok;
  console.log(ok ? "fuzz: no failure" : "fuzz: FAILED (replay with the command printed above)");
  process.exit(ok ? 0 : 1);
}

await main();
