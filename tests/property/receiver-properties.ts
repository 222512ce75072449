import { createHash } from "node:crypto";
import { lstat, readFile, readlink, symlink, utimes } from "node:fs/promises";
import { join, relative } from "node:path";
import fc from "fast-check";
import { Disk } from "../../src/disk/disk.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { encodeCancel, encodeEntry, encodeOffer } from "../../src/transfer/frames.ts";
import { PART_SUFFIX } from "../../src/transfer/path-rules.ts";
import { type OutgoingFrame, Transfers } from "../../src/transfer/transfers.ts";
import type { DiskResult } from "../../src/transfer/types.ts";
import { settleDisk } from "../helpers/disk.ts";
import { expectConfined, inScene, type Scene, walk } from "./confinement.ts";

/**
 * The receiver's rules end to end (issue 11, "path rules as a property test"): random sequences of
 * FILE_OFFER, FILE_ENTRY, FILE_DATA, FILE_SUM and FILE_CANCEL frames, as a hostile sender would send them, go
 * into the real pure receiver (Transfers, accepting) wired to the real Disk the way the transfer driver wires
 * them (disk results fed back as they come, frames arriving while the disk is still busy), on a temp
 * download folder in which links to the outside were planted. Afterwards:
 *
 * - nothing outside the download folder was created, changed, or read through a link (the sibling folder
 *   and the links' targets are snapshotted, access times included: a read through a link would move them);
 * - the planted links are still there, unchanged, and nobody made another link;
 * - a file under a final name (not `NAME.121chat-part`) has content whose SHA-256 a FILE_SUM matched: the
 *   bytes the sender sent for an entry of exactly that size, followed by their right SUM;
 * - no file has set-uid/set-gid/sticky or group/other write bits;
 * - the receiver only ever threw ProtocolError (the session's ERROR), and only for what the spec calls a
 *   protocol error; every FILE_CANCEL it sent gives a reason.
 *
 * Paths come from a generator that mixes valid ones (nested, Unicode, spaces) with `../x`, `/etc/x`,
 * `a/../../x`, `C:\x`, `con`, an escape sequence, NUL, a bidirectional control, 300-byte components,
 * duplicates, entries before their folder and paths outside the offered name.
 */

const utf8 = new TextEncoder();
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

/** Names offered: valid ones (some the planted links take), and hostile ones. */
const GOOD_NAMES = ["t", "x.txt", "d", "Ünï cödé", "a b.txt"] as const;
const BAD_COMPONENTS = [
  "..",
  ".",
  "",
  "con",
  "CON.txt",
  "lpt1",
  "C:\\x",
  "C:",
  "x\u001b[2J",
  "n\u0000ul",
  "\u202ertl",
  "trailing.",
  "a".repeat(300),
  "é".repeat(101), // 202 bytes: over the 200-byte limit in UTF-8, not in characters
] as const;
/** Names below the top of a folder transfer: mostly valid, so that trees get built. */
const INNER = ["sub", "f", "x.txt", "é x", "empty", "t"] as const;

/** Whole hostile paths, whatever the offered name is (`$` stands for the offered name). */
const BAD_PATHS = [
  "../x",
  "/etc/x",
  "$/../../x",
  "$/../x",
  "a/../../x",
  "C:\\x",
  "$/C:\\x",
  "$\\..\\x",
  "$//x",
  "$/./x",
  "$/",
  "/",
  "",
  "$/con",
  "$/x\u001b[2J",
  "$/n\u0000ul",
  `$/${"a".repeat(300)}`,
  "$/nofolder/f",
  "other/f",
] as const;

/** What the test plants in the download folder before the frames come: links to the outside. */
type Plant = "t" | "x.txt.121chat-part" | "d (1)" | "a b.txt" | "Ünï cödé.121chat-part";
const PLANTS: readonly Plant[] = ["t", "x.txt.121chat-part", "d (1)", "a b.txt", "Ünï cödé.121chat-part"];

type Op =
  /** `wait`: the sender waits for the answer before going on, as a real one does (a hostile one need not). */
  | { op: "offer"; id: number; name: string; entries: number; total: number; wait: boolean }
  | { op: "entry"; id: number; folder: boolean; mode: number; size: number; offset: number; path: string }
  | { op: "data"; id: number; bytes: Uint8Array }
  | { op: "sum"; id: number; right: boolean; noise: Uint8Array }
  | { op: "cancel"; id: number }
  /** Wait until the disk has done everything asked so far (otherwise the next frame comes at once). */
  | { op: "settle" };

const mode = fc.constantFrom(0o644, 0o755, 0o4777, 0o2775, 0o1777, 0o666, 0o000, 0xffff);
const chunk = fc.uint8Array({ minLength: 1, maxLength: 6 });

/**
 * Where an entry's path comes from: below a folder already sent in this transfer (the `pick`-th), with one
 * more component (mostly valid); the offered name itself; one to three components at random (their folders
 * mostly never sent); or a whole hostile path.
 */
type PathChoice =
  | { how: "below"; pick: number; component: string }
  | { how: "top" }
  | { how: "random"; components: string[] }
  | { how: "bad"; path: string };

const component = fc.oneof(
  { arbitrary: fc.constantFrom(...INNER), weight: 12 },
  { arbitrary: fc.constantFrom(...BAD_COMPONENTS), weight: 1 },
);
const pathChoice: fc.Arbitrary<PathChoice> = fc.oneof(
  { arbitrary: fc.record({ how: fc.constant("below" as const), pick: fc.nat(), component }), weight: 14 },
  { arbitrary: fc.record({ how: fc.constant("top" as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      how: fc.constant("random" as const),
      components: fc.array(component, { minLength: 1, maxLength: 3 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ how: fc.constant("bad" as const), path: fc.constantFrom(...BAD_PATHS) }),
    weight: 2,
  },
);

/** One entry of a folder transfer, before its path is placed: its data and SUM as a sender would send them. */
const rawEntry = fc.record({
  folder: fc.oneof({ arbitrary: fc.constant(true), weight: 2 }, { arbitrary: fc.constant(false), weight: 3 }),
  mode,
  where: pathChoice,
  chunks: fc.array(chunk, { maxLength: 3 }),
  /** The size announced: usually what the chunks hold, sometimes less or more. */
  sizeDelta: fc.oneof(
    { arbitrary: fc.constant(0), weight: 10 },
    { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 1 },
  ),
  offset: fc.oneof(
    { arbitrary: fc.constant(0), weight: 20 },
    { arbitrary: fc.constantFrom(1, 3), weight: 1 },
  ),
  sum: fc.oneof(
    { arbitrary: fc.constant("right" as const), weight: 10 },
    { arbitrary: fc.constantFrom("wrong" as const, "none" as const), weight: 1 },
  ),
  noise: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});
type RawEntry = typeof rawEntry extends fc.Arbitrary<infer T> ? T : never;

/** The frames of the entries of folder transfer `id` named `name`, paths placed below the folders sent. */
function placeEntries(id: number, name: string, topFolder: boolean, raws: RawEntry[]): Op[] {
  const folders = topFolder ? [name] : [];
  const ops: Op[] = topFolder
    ? [{ op: "entry", id, folder: true, mode: 0o755, size: 0, offset: 0, path: name }]
    : [];
  for (const raw of raws) {
    const where = raw.where;
    let path: string;
    if (where.how === "below") {
      const parent = folders.length > 0 ? (folders[where.pick % folders.length] as string) : name;
      path = `${parent}/${where.component}`;
    } else if (where.how === "top") path = name;
    else if (where.how === "random") path = [name, ...where.components].join("/");
    else path = where.path.replaceAll("$", name);
    if (raw.folder) {
      folders.push(path);
      ops.push({ op: "entry", id, folder: true, mode: raw.mode, size: 0, offset: 0, path });
      continue;
    }
    const held = raw.chunks.reduce((n, c) => n + c.length, 0);
    const size = Math.max(0, held + raw.sizeDelta);
    ops.push({ op: "entry", id, folder: false, mode: raw.mode, size, offset: raw.offset, path });
    for (const bytes of raw.chunks) ops.push({ op: "data", id, bytes });
    if (raw.sum !== "none") ops.push({ op: "sum", id, right: raw.sum === "right", noise: raw.noise });
  }
  return ops;
}

/**
 * One transfer, as a sender would say it: the offer, then its entries. A folder transfer starts with its
 * own folder entry most of the time; the offer's counts are usually right and sometimes not.
 */
function transferOps(id: number): fc.Arbitrary<Op[]> {
  const name = fc.oneof(
    { arbitrary: fc.constantFrom(...GOOD_NAMES), weight: 8 },
    { arbitrary: fc.constantFrom(...BAD_COMPONENTS), weight: 1 },
  );
  return name.chain((name) =>
    fc
      .record({
        oneFile: fc.boolean(),
        topFolder: fc.oneof(
          { arbitrary: fc.constant(true), weight: 8 },
          { arbitrary: fc.constant(false), weight: 1 },
        ),
        body: fc.array(rawEntry, { maxLength: 8 }),
        one: fc.record({
          chunks: fc.array(chunk, { maxLength: 3 }),
          mode,
          right: fc.oneof(
            { arbitrary: fc.constant(true), weight: 4 },
            { arbitrary: fc.constant(false), weight: 1 },
          ),
          noise: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        }),
        wait: fc.oneof(
          { arbitrary: fc.constant(true), weight: 8 },
          { arbitrary: fc.constant(false), weight: 1 },
        ),
        entriesDelta: fc.oneof(
          { arbitrary: fc.constant(0), weight: 6 },
          { arbitrary: fc.integer({ min: -2, max: 2 }), weight: 1 },
        ),
        totalDelta: fc.oneof(
          { arbitrary: fc.constant(0), weight: 6 },
          { arbitrary: fc.integer({ min: -4, max: 4 }), weight: 1 },
        ),
      })
      .map(({ oneFile, topFolder, body, one, wait, entriesDelta, totalDelta }) => {
        let entries: Op[];
        if (oneFile) {
          const size = one.chunks.reduce((n, c) => n + c.length, 0);
          entries = [
            { op: "entry", id, folder: false, mode: one.mode, size, offset: 0, path: name },
            ...one.chunks.map((bytes): Op => ({ op: "data", id, bytes })),
            { op: "sum", id, right: one.right, noise: one.noise },
          ];
        } else {
          entries = placeEntries(id, name, topFolder, body);
        }
        const count = entries.filter((o) => o.op === "entry").length;
        const total = entries.reduce((n, o) => n + (o.op === "entry" ? o.size : 0), 0);
        const offer: Op = {
          op: "offer",
          id,
          name,
          entries: Math.max(0, count + entriesDelta),
          total: Math.max(0, total + totalDelta),
          wait,
        };
        return [offer, ...entries];
      }),
  );
}

/**
 * A stray frame about transfer `id` (one of those offered, or 9, never offered: the session's protocol
 * error, which ends the case), or a settle.
 */
const stray: fc.Arbitrary<
  Op | { op: "stray"; kind: "cancel" | "data" | "sum"; pick: number; bytes: Uint8Array; right: boolean }
> = fc.oneof(
  { arbitrary: fc.constant<Op>({ op: "settle" }), weight: 24 },
  {
    arbitrary: fc.record({
      op: fc.constant("stray" as const),
      kind: fc.constantFrom("cancel" as const, "data" as const, "sum" as const),
      pick: fc.nat(),
      bytes: chunk,
      right: fc.boolean(),
    }),
    weight: 12,
  },
  { arbitrary: fc.record({ op: fc.constant("data" as const), id: fc.constant(9), bytes: chunk }), weight: 1 },
);

/**
 * Up to three transfers (ids 1–3; sometimes one offered again), their frames interleaved in a random order
 * that keeps each transfer's own order, with stray frames and settles sprinkled in.
 */
const scenario: fc.Arbitrary<{ plants: Plant[]; ops: Op[] }> = fc
  .record({
    plants: fc.subarray([...PLANTS], { minLength: 1 }),
    transfers: fc
      .constantFrom(1, 1, 2, 2, 3)
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => transferOps(i + 1)))),
    again: fc.option(fc.constantFrom(1, 2), { freq: 6 }),
    order: fc.array(fc.nat(), { minLength: 80, maxLength: 80 }),
    strays: fc.array(fc.tuple(fc.nat({ max: 200 }), stray), { maxLength: 8 }),
  })
  .map(({ plants, transfers, again, order, strays }) => {
    const queues = transfers.map((t) => [...t]);
    if (again !== null) {
      const first = queues[again - 1]?.[0];
      if (first) queues[again - 1]?.push({ ...first }); // the same offer again (as after a resume)
    }
    const ops: Op[] = [];
    let k = 0;
    while (queues.some((q) => q.length > 0)) {
      const live = queues.filter((q) => q.length > 0);
      const q = live[(order[k++ % order.length] as number) % live.length] as Op[];
      ops.push(q.shift() as Op);
    }
    const ids = queues.length;
    for (const [at, op] of strays) {
      const placed: Op =
        op.op !== "stray"
          ? op
          : op.kind === "cancel"
            ? { op: "cancel", id: 1 + (op.pick % ids) }
            : op.kind === "data"
              ? { op: "data", id: 1 + (op.pick % ids), bytes: op.bytes }
              : { op: "sum", id: 1 + (op.pick % ids), right: op.right, noise: new Uint8Array(32).fill(7) };
      ops.splice(at % (ops.length + 1), 0, placed);
    }
    return { plants, ops };
  });

/**
 * What the cases reached, across runs (for the test to check that the generator gets somewhere: files and
 * folders made, and each kind of refusal seen), counted by the first words of the receiver's reasons.
 */
export const receiverCoverage = {
  cases: 0,
  finalFiles: 0,
  folders: 0,
  protocolErrors: 0,
  cancels: new Map<string, number>(),
  reset(): void {
    this.cases = 0;
    this.finalFiles = 0;
    this.folders = 0;
    this.protocolErrors = 0;
    this.cancels.clear();
  },
};

/** The receiver's reasons, by a phrase each has (the rest names paths and sizes). */
const REASONS = [
  "came before its folder",
  "came twice",
  "does not match its SHA-256",
  "bytes offered",
  "more data than",
  "a refused path",
  "the offered name is refused",
  "more entries than",
  "data without an entry",
  "a FILE_SUM without an entry",
  "a FILE_SUM after",
  "which this side does not hold",
  "was finished",
  "a one-entry offer must be a file",
  "the first entry must be the offered folder",
  "already exists",
];

export function receiverStaysInsideTheDownloadFolder(): fc.IAsyncProperty<[{ plants: Plant[]; ops: Op[] }]> {
  return fc.asyncProperty(scenario, async ({ plants, ops }) => {
    await inScene("121chat-receiver-property-", (scene) => runCase(scene, plants, ops));
  });
}

async function runCase({ base, downloads, outside }: Scene, plants: Plant[], ops: Op[]): Promise<void> {
  for (const name of plants) {
    const abs = join(downloads, name);
    if (name === "t")
      await symlink(outside, abs); // the top name of folder transfers: a link to the outside
    else if (name === "d (1)")
      await symlink("../outside", abs); // relative
    else if (name === "a b.txt")
      await symlink(join(outside, "created-through-link"), abs); // dangling
    else await symlink(join(outside, "victim"), abs); // part files of one-file transfers
  }
  const planted = new Map<string, string>();
  for (const name of plants) planted.set(name, await readlink(join(downloads, name)));
  const before = await armOutside(outside);

  const receiver = new Transfers({ autoAccept: true });
  const sent: OutgoingFrame[] = [];
  let now = 0;
  let failure: unknown = null;
  const flush = () => {
    sent.push(...receiver.takeFrames());
    for (const action of receiver.takeActions()) disk.submit(action);
    receiver.takeEvents();
  };
  let results = 0;
  const disk: Disk = new Disk({
    downloadDir: downloads,
    onResult: (result: DiskResult) => {
      results++;
      try {
        receiver.diskResult(result, ++now);
        flush();
      } catch (error) {
        failure ??= error;
      }
    },
  });

  // What the sender said for each transfer: the data since its last entry, and the contents whose right SUM
  // it sent for an entry of exactly their size (the only contents that may get a final name).
  const dataSince = new Map<number, { size: number; chunks: Uint8Array[] }>();
  const verifiable = new Set<string>();
  const offered = new Set<number>();
  let ended = false;
  for (const op of ops) {
    if (ended) break;
    if (op.op === "settle") {
      await settleDisk(disk, () => results);
      continue;
    }
    const [type, payload] = frameOf(op, dataSince, verifiable);
    try {
      receiver.onFrame(type, op.id, payload, ++now);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // What the spec makes a protocol error (the session then ends): a frame about a transfer never
      // offered, or a malformed payload (an offered name over 255 bytes).
      const malformed = op.op === "offer" && utf8.encode(op.name).length > 255;
      if (offered.has(op.id) && !malformed)
        throw new Error(`a ProtocolError for an offered transfer: ${error.message}`);
      ended = true;
      receiverCoverage.protocolErrors++;
    }
    if (op.op === "offer") offered.add(op.id);
    flush();
    if (op.op === "offer" && op.wait) await settleDisk(disk, () => results);
    else await Promise.resolve(); // a disk result may come between two frames, or not
  }
  await settleDisk(disk, () => results);
  // The session ends: every transfer's part file is kept or removed, so nothing waits any more.
  receiver.sessionEnded();
  flush();
  await disk.idle();
  await disk.close();
  if (failure) throw failure;

  // Nothing outside changed or was read through a link; nothing was made beside the download folder.
  const after = await snapshotOutside(outside);
  await expectConfined(base, before, after);
  for (const [name, target] of planted) {
    const info = await lstat(join(downloads, name)).catch(() => null);
    if (!info?.isSymbolicLink() || (await readlink(join(downloads, name))) !== target) {
      throw new Error(`the planted link ${name} was replaced or removed`);
    }
  }
  for (const [abs, info] of await walk(downloads)) {
    const rel = relative(downloads, abs);
    if (planted.has(rel)) continue;
    if (info.isSymbolicLink()) throw new Error(`a link nobody planted: ${rel}`);
    if (info.isDirectory()) receiverCoverage.folders++;
    if (!info.isFile()) continue;
    const bits = Number(info.mode) & 0o7777;
    if ((bits & 0o7022) !== 0) throw new Error(`${rel} has unsafe permission bits ${bits.toString(8)}`);
    if (abs.endsWith(PART_SUFFIX)) continue;
    receiverCoverage.finalFiles++;
    const content = await readFile(abs);
    if (!verifiable.has(sha(content).toString("hex"))) {
      throw new Error(`${rel} has a final name, but no FILE_SUM matched its ${content.length} bytes`);
    }
  }
  receiverCoverage.cases++;
  for (const frame of sent) {
    if (frame.type !== FrameType.FILE_CANCEL) continue;
    const reason = new TextDecoder().decode(frame.payload.subarray(1));
    if (reason === "") throw new Error(`a FILE_CANCEL for transfer ${frame.id} without a reason`);
    const kind = REASONS.find((phrase) => reason.includes(phrase)) ?? reason;
    receiverCoverage.cancels.set(kind, (receiverCoverage.cancels.get(kind) ?? 0) + 1);
  }
}

/** The frame for `op`, keeping track of what was sent (for the right SUMs and what they make verifiable). */
function frameOf(
  op: Exclude<Op, { op: "settle" }>,
  dataSince: Map<number, { size: number; chunks: Uint8Array[] }>,
  verifiable: Set<string>,
): [FrameType, Uint8Array] {
  switch (op.op) {
    case "offer":
      return [
        FrameType.FILE_OFFER,
        encodeOffer({ totalBytes: op.total, entries: op.entries, name: op.name }),
      ];
    case "entry":
      dataSince.set(op.id, { size: op.size, chunks: [] });
      return [
        FrameType.FILE_ENTRY,
        encodeEntry({
          kind: op.folder ? "folder" : "file",
          mode: op.mode,
          size: op.size,
          offset: op.offset,
          path: op.path,
        }),
      ];
    case "data":
      dataSince.get(op.id)?.chunks.push(op.bytes);
      return [FrameType.FILE_DATA, op.bytes];
    case "sum": {
      const since = dataSince.get(op.id);
      const content = Buffer.concat(since?.chunks ?? []);
      if (!op.right) return [FrameType.FILE_SUM, op.noise];
      if (since && content.length === since.size) verifiable.add(sha(content).toString("hex"));
      return [FrameType.FILE_SUM, new Uint8Array(sha(content))];
    }
    case "cancel":
      return [FrameType.FILE_CANCEL, encodeCancel({ side: 0, reason: "the sender stops" })];
  }
}

/** The paths made outside the download folder: their times are watched. */
const OUTSIDE_PATHS = ["", "folder", "victim", "folder/inner"];

interface OutsideSnapshot {
  /** lstat of each known path: type, size, mode, inode, and the modification, change and access times. */
  stats: string[];
  /** Every path under the folder, and each file's SHA-256. */
  tree: string[];
}

/**
 * Before the frames come: what is outside, and its access times set into the past (the file system mounts
 * with relatime: the first read of a file or a folder listing after that moves its access time, so a read
 * through a link shows). The contents are read before the times are set.
 */
async function armOutside(outside: string): Promise<OutsideSnapshot> {
  const tree = await treeOf(outside);
  for (const path of OUTSIDE_PATHS) {
    const abs = join(outside, path);
    await utimes(abs, new Date(2000, 0, 1), (await lstat(abs)).mtime);
  }
  return { stats: await statsOf(outside), tree };
}

/** After: the times first (before this test reads anything there itself), then the tree and contents. */
async function snapshotOutside(outside: string): Promise<OutsideSnapshot> {
  const stats = await statsOf(outside);
  return { stats, tree: await treeOf(outside) };
}

async function statsOf(outside: string): Promise<string[]> {
  const out: string[] = [];
  for (const path of OUTSIDE_PATHS) {
    const i = await lstat(join(outside, path));
    const type = i.isDirectory() ? "folder" : i.isFile() ? "file" : "other";
    out.push(
      `${path}: ${type} ${i.size} ${i.mode.toString(8)} ${i.ino} m${i.mtimeMs} c${i.ctimeMs} a${i.atimeMs}`,
    );
  }
  return out;
}

async function treeOf(outside: string): Promise<string[]> {
  const out: string[] = [];
  for (const [abs, info] of await walk(outside)) {
    const kind = info.isFile()
      ? sha(await readFile(abs)).toString("hex")
      : info.isDirectory()
        ? "folder"
        : "other";
    out.push(`${relative(outside, abs)}: ${kind}`);
  }
  return out;
}
