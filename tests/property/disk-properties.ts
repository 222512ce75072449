import { createHash } from "node:crypto";
import { link, lstat, mkdir, readFile, readlink, rename, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import fc from "fast-check";
import { Disk } from "../../src/disk/disk.ts";
import { entryComponents, PART_SUFFIX } from "../../src/transfer/path-rules.ts";
import type { DiskAction, DiskResult } from "../../src/transfer/types.ts";
import { settleDisk } from "../helpers/disk.ts";
import { expectConfined, inScene, type Scene, walk } from "./confinement.ts";

/**
 * The disk adapter under hostile action sequences (issue 11): whatever mkdir/open/write/finalize/discard/
 * keep/inspect actions come, with whatever paths (some checked by the receiver's rules first, as the
 * transfer logic does, some passed straight through), and whatever links and files are planted in the
 * download folder before and between the actions, nothing outside the download folder is created, changed
 * or written through, nothing planted is replaced, and every file the Disk leaves has safe permission bits.
 */

/** Names of the transfers' paths: mostly plausible ones (so that sequences get somewhere), and hostile ones. */
const TOP = ["t", "x.txt", "d"] as const;
const INNER = ["sub", "f", "x.txt", "link", "escape", "dangling", "t", "x.txt.121chat-part"] as const;
const BAD = [
  "..",
  ".",
  "",
  "/etc/x",
  "a/../../x",
  "C:\\x",
  "con",
  "x\u001b[2J",
  "n\u0000ul",
  "\u202ertl",
  "a".repeat(300),
];

const any = fc.constantFrom(...TOP, ...INNER, ...BAD);
const inner = fc.oneof(
  { arbitrary: fc.constant("sub"), weight: 4 },
  { arbitrary: fc.constantFrom(...INNER), weight: 8 },
  { arbitrary: fc.constantFrom(...BAD), weight: 2 },
);

/** Each transfer's own name: most paths of a transfer start with it, as the logic's checked paths do. */
const NAME: Record<string, string> = { k1: "t", k2: "x.txt", k3: "d" };

/**
 * A path of transfer `k`: mostly what a transfer sends (its name, then a few names below it), sometimes
 * another top-level name, sometimes any one to four components at all.
 */
const pathOf = (k: string) =>
  fc.oneof(
    {
      arbitrary: fc
        .tuple(
          fc.oneof(
            { arbitrary: fc.constant(NAME[k] as string), weight: 6 },
            { arbitrary: fc.constantFrom(...TOP), weight: 1 },
          ),
          fc.oneof(
            { arbitrary: fc.array(inner, { minLength: 1, maxLength: 1 }), weight: 5 },
            { arbitrary: fc.constant([]), weight: 2 },
            { arbitrary: inner.map((name) => ["sub", name]), weight: 2 },
            { arbitrary: fc.array(inner, { minLength: 2, maxLength: 3 }), weight: 1 },
          ),
        )
        .map(([top, rest]) => [top, ...rest]),
      weight: 8,
    },
    // A hostile top-level name: k3 (which makes no top folder first) is mostly that.
    { arbitrary: fc.constantFrom(...BAD).map((bad) => [bad]), weight: k === "k3" ? 8 : 1 },
    { arbitrary: fc.array(any, { minLength: 1, maxLength: 4 }), weight: 1 },
  );

/** `root` is usually what the path says (one component: the transfer's own top), sometimes not. */
const rootOf = (components: string[]) =>
  fc.oneof(
    { arbitrary: fc.constant(components.length === 1), weight: 5 },
    { arbitrary: fc.boolean(), weight: 1 },
  );

/** What may be planted under a name in the download folder (or deeper, between actions). */
type PlantKind =
  | "link-to-outside"
  | "link-to-victim"
  | "dangling-link"
  | "relative-escape"
  | "hard-link-to-victim"
  | "file"
  | "folder";
const plantKind = fc.constantFrom<PlantKind>(
  "link-to-outside",
  "link-to-victim",
  "dangling-link",
  "relative-escape",
  "hard-link-to-victim",
  "file",
  "folder",
);
/** Names planted in the download folder before the first action (the part names of one-file transfers too). */
const PLANT_NAMES = [
  "t",
  "x.txt",
  "d",
  "x (1).txt",
  "t (1)",
  "x.txt.121chat-part",
  "t.121chat-part",
  "d.121chat-part",
  "escape",
];

const mode = fc.oneof(
  fc.constantFrom(0o644, 0o755, 0o4777, 0o2775, 0o1777, 0o666, 0o000),
  fc.integer({ min: 0, max: 0xffff }),
);
const bytes = fc.uint8Array({ maxLength: 24 });

type Step =
  | { op: "mkdir"; key: string; path: string[]; mode: number; root: boolean; checked: boolean }
  | { op: "open"; key: string; path: string[]; offset: number; root: boolean; checked: boolean }
  | { op: "write"; key: string; bytes: Uint8Array }
  | { op: "finalize"; key: string; path: string[]; mode: number; root: boolean; checked: boolean }
  | { op: "discard"; key: string }
  | { op: "keep"; key: string }
  | { op: "inspect"; key: string; name: string; oneFile: boolean }
  /** A file entry as the logic sends it: open, writes, then finalize, keep, discard or nothing. */
  | {
      op: "file";
      key: string;
      path: string[];
      root: boolean;
      offset: number;
      chunks: Uint8Array[];
      mode: number;
      end: "finalize" | "keep" | "discard" | "none";
      checked: boolean;
    }
  /**
   * The test (a local attacker) plants something named `name` in one of the real folders of the download
   * folder (the `pick`-th, the download folder itself counting as one): beside or inside what the Disk made.
   */
  | { op: "plant"; pick: number; name: string; kind: PlantKind }
  /** The test moves the `pick`-th real folder inside the download folder aside and puts a link in its place. */
  | { op: "swap"; pick: number };

/** Names the test plants under: those the transfers use, and their part files. */
const plantName = fc.constantFrom(...INNER, ...TOP, "f.121chat-part", "sub.121chat-part", "t (1)");
const offset = fc.oneof(
  { arbitrary: fc.constant(0), weight: 5 },
  { arbitrary: fc.constantFrom(1, 5, 100), weight: 1 },
);
const checked = fc.boolean();
const end = fc.oneof(
  { arbitrary: fc.constant("finalize" as const), weight: 6 },
  { arbitrary: fc.constantFrom("keep" as const, "discard" as const, "none" as const), weight: 2 },
);

/** One step of transfer `k`, or of the test. */
const stepOf = (k: string): fc.Arbitrary<Step> => {
  const key = fc.constant(k);
  const located = pathOf(k).chain((p) => fc.record({ path: fc.constant(p), root: rootOf(p) }));
  return fc.oneof(
    {
      arbitrary: located.chain(({ path, root }) =>
        fc.record({
          op: fc.constant("mkdir" as const),
          key,
          path: fc.constant(path),
          mode,
          root: fc.constant(root),
          checked,
        }),
      ),
      weight: 4,
    },
    {
      arbitrary: located.chain(({ path, root }) =>
        fc.record({
          op: fc.constant("file" as const),
          key,
          path: fc.constant(path),
          root: fc.constant(root),
          offset,
          chunks: fc.array(bytes, { maxLength: 3 }),
          mode,
          end,
          checked,
        }),
      ),
      weight: 6,
    },
    {
      arbitrary: located.chain(({ path, root }) =>
        fc.record({
          op: fc.constant("open" as const),
          key,
          path: fc.constant(path),
          offset,
          root: fc.constant(root),
          checked,
        }),
      ),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constant("write" as const), key, bytes }), weight: 1 },
    {
      arbitrary: located.chain(({ path, root }) =>
        fc.record({
          op: fc.constant("finalize" as const),
          key,
          path: fc.constant(path),
          mode,
          root: fc.constant(root),
          checked,
        }),
      ),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constantFrom("discard" as const, "keep" as const), key }), weight: 1 },
    {
      arbitrary: fc.record({ op: fc.constant("inspect" as const), key, name: any, oneFile: fc.boolean() }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        op: fc.constant("plant" as const),
        pick: fc.nat(),
        name: plantName,
        kind: plantKind,
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ op: fc.constant("swap" as const), pick: fc.nat() }), weight: 2 },
  );
};
const step = fc.constantFrom("k1", "k2", "k3").chain(stepOf);

/** Most cases start with the top folder of a folder transfer, so that what comes after gets somewhere. */
const topFolder = (k: string) =>
  fc.record({
    op: fc.constant("mkdir" as const),
    key: fc.constant(k),
    path: fc.oneof(
      { arbitrary: fc.constant(k).map((name) => [NAME[name] as string]), weight: 4 },
      { arbitrary: fc.constantFrom(...TOP).map((top) => [top]), weight: 1 },
    ),
    mode,
    root: fc.constant(true),
    checked: fc.constant(false),
  });
const steps: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.option(topFolder("k1"), { freq: 10 }),
    fc.option(topFolder("k2"), { freq: 3 }),
    fc.array(step, { minLength: 1, maxLength: 30, size: "max" }),
  )
  .map(([first, second, rest]) => [...(first ? [first] : []), ...(second ? [second] : []), ...rest]);

const plants = fc.dictionary(fc.constantFrom(...PLANT_NAMES), plantKind, { maxKeys: PLANT_NAMES.length });

export function diskStaysInsideTheDownloadFolder(): fc.IAsyncProperty<[Record<string, PlantKind>, Step[]]> {
  return fc.asyncProperty(plants, steps, async (initial, steps) => {
    await inScene("121chat-disk-property-", (scene) => runCase(scene, initial, steps));
  });
}

async function runCase(
  { base, downloads, outside }: Scene,
  initial: Record<string, PlantKind>,
  steps: Step[],
): Promise<void> {
  const planted = new Map<string, Snapshot>();
  const plant = async (abs: string, kind: PlantKind) => {
    switch (kind) {
      case "link-to-outside":
        await symlink(outside, abs);
        break;
      case "link-to-victim":
        await symlink(join(outside, "victim"), abs);
        break;
      case "dangling-link":
        await symlink(join(outside, `created-${planted.size}`), abs);
        break;
      case "relative-escape":
        await symlink(relative(dirname(abs), outside), abs);
        break;
      case "hard-link-to-victim":
        await link(join(outside, "victim"), abs);
        break;
      case "file":
        await writeFile(abs, "planted file", { flag: "wx" }); // never through a link the test planted
        break;
      case "folder":
        await mkdir(abs);
        break;
    }
    planted.set(abs, await snapshotOne(abs));
  };
  for (const [name, kind] of Object.entries(initial)) await plant(join(downloads, name), kind);

  const before = await snapshotTree(outside);
  const results: DiskResult[] = [];
  const disk = new Disk({ downloadDir: downloads, onResult: (result) => results.push(result) });
  let seq = 0;
  let moves = 0;
  for (const s of steps) {
    if (s.op === "plant" || s.op === "swap") {
      // Only in real folders inside the download folder (found without following links): the test itself
      // must not write outside through a link it planted.
      const folders = (await walk(downloads)).filter(([, info]) => info.isDirectory()).map(([abs]) => abs);
      if (s.op === "plant") {
        const parents = [downloads, ...folders];
        await plant(join(parents[s.pick % parents.length] as string, s.name), s.kind).catch(() => {});
        continue;
      }
      if (folders.length === 0) continue;
      const abs = folders[s.pick % folders.length] as string;
      const aside = `${abs}-moved-${++moves}`;
      await rename(abs, aside);
      // What was planted there moved along: track it under its new path.
      for (const [path, snapshot] of [...planted]) {
        if (path === abs || path.startsWith(`${abs}/`)) {
          planted.delete(path);
          planted.set(aside + path.slice(abs.length), snapshot);
        }
      }
      await plant(abs, "link-to-outside");
      continue;
    }
    if ("checked" in s && s.checked) {
      // As the transfer logic would: the entry's path, checked by the receiver's rules.
      try {
        entryComponents(s.path.join("/"), s.path[0] as string);
      } catch {
        continue;
      }
    }
    for (const action of toActions(s, () => ++seq)) disk.submit(action);
    await settleDisk(disk, () => results.length);
  }
  await disk.close();

  const after = await snapshotTree(outside);
  await expectConfined(base, before, after);
  for (const [abs, snapshot] of planted) {
    // A plain file under a part file's name is a partial from an earlier run, by the spec's rules: it may be
    // continued, started over, finished or removed. Everything else planted stays exactly as it was.
    if (snapshot.type === "file" && abs.endsWith(PART_SUFFIX)) continue;
    const now = await snapshotOne(abs).catch(() => null);
    if (JSON.stringify(now) !== JSON.stringify(snapshot)) {
      throw new Error(
        `${relative(base, abs)} was planted and changed: ${JSON.stringify(snapshot)} -> ${JSON.stringify(now)}`,
      );
    }
  }
  for (const [abs, info] of await walk(downloads)) {
    if (planted.has(abs)) continue;
    if (info.isSymbolicLink()) throw new Error(`a link nobody planted: ${relative(base, abs)}`);
    if (info.isFile() && (info.mode & 0o7022) !== 0) {
      throw new Error(
        `${relative(base, abs)} has unsafe permission bits ${(info.mode & 0o7777).toString(8)}`,
      );
    }
    if (info.isFile() && info.nlink !== 1) throw new Error(`${relative(base, abs)} has another name`);
  }
  for (const result of results) {
    if (result.kind === "failed" && result.reason.includes(base)) {
      throw new Error(`a reason names a local path: ${result.reason}`);
    }
  }
}

function toActions(s: Exclude<Step, { op: "plant" | "swap" }>, next: () => number): DiskAction[] {
  if (s.op !== "file") return [toAction(s, next())];
  const actions: DiskAction[] = [
    { kind: "open", key: s.key, seq: next(), path: s.path, offset: s.offset, root: s.root },
  ];
  for (const bytes of s.chunks) actions.push({ kind: "write", key: s.key, seq: next(), bytes });
  if (s.end === "finalize") {
    actions.push({ kind: "finalize", key: s.key, seq: next(), path: s.path, mode: s.mode, root: s.root });
  } else if (s.end !== "none") actions.push({ kind: s.end, key: s.key, seq: next() });
  return actions;
}

function toAction(s: Exclude<Step, { op: "plant" | "swap" | "file" }>, seq: number): DiskAction {
  switch (s.op) {
    case "mkdir":
      return { kind: "mkdir", key: s.key, seq, path: s.path, mode: s.mode, root: s.root };
    case "open":
      return { kind: "open", key: s.key, seq, path: s.path, offset: s.offset, root: s.root };
    case "write":
      return { kind: "write", key: s.key, seq, bytes: s.bytes };
    case "finalize":
      return { kind: "finalize", key: s.key, seq, path: s.path, mode: s.mode, root: s.root };
    case "discard":
    case "keep":
      return { kind: s.op, key: s.key, seq };
    case "inspect":
      return { kind: "inspect", key: s.key, seq, name: s.name, oneFile: s.oneFile };
  }
}

type Snapshot = { type: string; size?: number; mode: number; mtime?: number; sha?: string; target?: string };

async function snapshotOne(abs: string): Promise<Snapshot> {
  const info = await lstat(abs);
  const mode = info.mode & 0o7777;
  if (info.isSymbolicLink()) return { type: "link", mode, target: await readlink(abs) };
  if (info.isDirectory()) return { type: "folder", mode };
  const sha = createHash("sha256")
    .update(await readFile(abs))
    .digest("hex");
  return { type: "file", size: info.size, mode, mtime: info.mtimeMs, sha };
}

async function snapshotTree(root: string): Promise<[string, Snapshot][]> {
  const out: [string, Snapshot][] = [];
  for (const [abs] of await walk(root)) out.push([relative(root, abs), await snapshotOne(abs)]);
  return out;
}
