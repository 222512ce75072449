/**
 * The property suites (issue 3: decoder and session; issue 8: records, handshake, secure sessions; issue 9:
 * screen layout; issue 10: resume; issue 11: the disk adapter and the receiver's rules end to end, asynchronous), shared by `bun test` (tests/property/*.test.ts: fixed seed, few runs)
 * and scripts/fuzz.ts (as many runs as asked, any seed, replay of a failure).
 */
import fc from "fast-check";
import {
  framesSurviveAnyChunking,
  hostileBytesOnlyRaiseProtocolError,
  largePayloadsStayBounded,
} from "./decoder-properties.ts";
import { diskStaysInsideTheDownloadFolder } from "./disk-properties.ts";
import { handshakeSurvivesHostileBytes } from "./handshake-properties.ts";
import { receiverStaysInsideTheDownloadFolder } from "./receiver-properties.ts";
import { recordsSurviveAnyCut, tamperedRecordsFailThere } from "./record-properties.ts";
import { resumeKeepsMessagesExactlyOnce } from "./resume-model.ts";
import { secureSessionsDeliverExactlyOnce } from "./secure-session-properties.ts";
import { sessionPairKeepsInvariants, sessionSurvivesHostileBytes } from "./session-properties.ts";
import {
  caretStaysInTheText,
  clippedInputFits,
  layoutAgreesWithStringWidth,
  narrowTextFillsRowsExactly,
  rowsAreTheLayoutsRows,
  truncationFitsTheWidth,
  zeroWidthAndBreaksCompose,
} from "./text-layout-properties.ts";

export interface PropertyDefinition {
  name: string;
  summary: string;
  /** A synchronous property, or an asynchronous one (real files): run those with assertAsyncProperty. */
  build: () => fc.IProperty<unknown> | fc.IAsyncProperty<unknown>;
}

export const PROPERTIES: readonly PropertyDefinition[] = [
  {
    name: "decoder-chunking",
    summary: "valid frames cut into chunks at arbitrary points decode to exactly the same frames",
    build: framesSurviveAnyChunking as () => fc.IProperty<unknown>,
  },
  {
    name: "decoder-hostile",
    summary:
      "random and mutated byte streams raise only ProtocolError and stay within the header-checked limit",
    build: hostileBytesOnlyRaiseProtocolError as () => fc.IProperty<unknown>,
  },
  {
    name: "decoder-large-payload",
    summary:
      "a large payload cut into chunks of any sizes arrives whole, and what is kept for it stays within bounds",
    build: largePayloadsStayBounded as () => fc.IProperty<unknown>,
  },
  {
    name: "session-pair",
    summary:
      "two sessions under random sends, partial deliveries and ticks keep the ack, id and stats invariants",
    build: sessionPairKeepsInvariants as () => fc.IProperty<unknown>,
  },
  {
    name: "session-hostile",
    summary: "a session fed random or mutated bytes never throws and only writes frames its peer accepts",
    build: sessionSurvivesHostileBytes as () => fc.IProperty<unknown>,
  },
  {
    name: "session-resume",
    summary:
      "drops at any byte, noticed or not, and resumes: every message delivered once, in order, and accounted for",
    build: resumeKeepsMessagesExactlyOnce as () => fc.IProperty<unknown>,
  },
  {
    name: "records-chunking",
    summary:
      "sealed plaintext of any sizes, its records cut anywhere, opens exactly and in order, across key updates",
    build: recordsSurviveAnyCut as () => fc.IProperty<unknown>,
  },
  {
    name: "records-tamper",
    summary:
      "a flipped bit, dropped, repeated, swapped or cut record fails there, after all before it, none of it",
    build: tamperedRecordsFailThere as () => fc.IProperty<unknown>,
  },
  {
    name: "handshake-hostile",
    summary:
      "random or damaged bytes at each handshake stage fail it (or wait), never throw, never bring it up",
    build: handshakeSurvivesHostileBytes as () => fc.IProperty<unknown>,
  },
  {
    name: "session-v2-secure",
    summary:
      "two version-2 sessions over a real handshake's records deliver all exactly once; a damaged record drops",
    build: secureSessionsDeliverExactlyOnce as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-width",
    summary: "the rows and columns of text with wide and zero-width characters agree with Bun.stringWidth",
    build: layoutAgreesWithStringWidth as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-narrow",
    summary: "narrow text fills rows exactly",
    build: narrowTextFillsRowsExactly as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-compose",
    summary: "zero-width characters take no room, and a line break adds the rows of both sides",
    build: zeroWidthAndBreaksCompose as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-caret",
    summary: "the caret stands within the text's rows and the width, at or after the text before it",
    build: caretStaysInTheText as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-truncate",
    summary: "text cut to a width takes at most that width and keeps its start",
    build: truncationFitsTheWidth as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-rows",
    summary: "the rows a text is cut into for drawing are the rows layoutText counts, in order",
    build: rowsAreTheLayoutsRows as () => fc.IProperty<unknown>,
  },
  {
    name: "layout-clip",
    summary: "an input clipped to a number of rows takes no more when drawn, the cursor before the same text",
    build: clippedInputFits as () => fc.IProperty<unknown>,
  },
  {
    name: "disk-inside",
    summary:
      "hostile disk actions and planted links never create, change or write through anything outside the download folder",
    build: diskStaysInsideTheDownloadFolder as () => fc.IAsyncProperty<unknown>,
  },
  {
    name: "receiver-inside",
    summary:
      "hostile FILE_* frame sequences into the real receiver and Disk never reach outside the download folder; only files whose SUM matched get a final name",
    build: receiverStaysInsideTheDownloadFolder as () => fc.IAsyncProperty<unknown>,
  },
];

export function findProperty(name: string): PropertyDefinition {
  const found = PROPERTIES.find((p) => p.name === name);
  if (!found)
    throw new Error(`unknown property "${name}"; known: ${PROPERTIES.map((p) => p.name).join(", ")}`);
  return found;
}

export interface RunOptions {
  numRuns: number;
  seed: number;
  /** A counterexample path printed by an earlier failure: replays exactly that case. */
  path?: string;
}

/** Runs a property and returns fast-check's report (no throw); a promise of it for an asynchronous one. */
export function checkProperty(
  definition: PropertyDefinition,
  options: RunOptions,
): fc.RunDetails<unknown> | Promise<fc.RunDetails<unknown>> {
  return fc.check(definition.build() as fc.IRawProperty<unknown>, {
    numRuns: options.numRuns,
    seed: options.seed,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
}

/** Runs a property and throws fast-check's report (seed, path, shrunk counterexample) if it fails. */
export function assertProperty(name: string, options: RunOptions): void {
  const details = checkProperty(findProperty(name), options);
  // A promise here would let the test pass before the property ran.
  if (details instanceof Promise) throw new Error(`${name} is asynchronous: use assertAsyncProperty`);
  if (details.failed)
    throw new Error(`${describeFailure(name, details)}\n${fc.defaultReportMessage(details)}`);
}

/** assertProperty for an asynchronous property (one that works on real files, say). */
export async function assertAsyncProperty(name: string, options: RunOptions): Promise<void> {
  const details = await checkProperty(findProperty(name), options);
  if (details.failed)
    throw new Error(`${describeFailure(name, details)}\n${fc.defaultReportMessage(details)}`);
}

/** One paragraph on a failed run: the error, the shrunk counterexample, and how to replay it. */
export function describeFailure(name: string, details: fc.RunDetails<unknown>): string {
  if (!details.failed) return `${name}: passed`;
  if (details.interrupted || details.counterexamplePath === null)
    return `${name}: failed without a counterexample`;
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return [
    `${name} failed after ${details.numRuns} case(s), shrunk ${details.numShrinks} time(s)`,
    `  error: ${error}`,
    `  counterexample: ${fc.stringify(details.counterexample)}`,
    `  replay: bun run scripts/fuzz.ts --property ${name} --seed ${details.seed} --path ${details.counterexamplePath}`,
  ].join("\n");
}
