import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Disk, type DiskOptions } from "../../src/disk/disk.ts";
import type { DiskAction, DiskResult } from "../../src/transfer/types.ts";

/** Harnesses made since the last withFolders began: their Disks are closed when it ends. */
const harnesses = new Set<DiskHarness>();

/**
 * A fresh temp folder holding `downloads/` and a sibling `outside/`; removed after `body`, once the Disks
 * made meanwhile are closed (Bun throws when a FileHandle is collected unclosed).
 */
export async function withFolders(
  body: (folders: { base: string; downloads: string; outside: string }) => Promise<void>,
): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), "121chat-disk-test-"));
  const downloads = join(base, "downloads");
  const outside = join(base, "outside");
  await mkdir(downloads);
  await mkdir(outside);
  try {
    await body({ base, downloads, outside });
  } finally {
    for (const harness of harnesses) await harness.disk.close();
    harnesses.clear();
    await rm(base, { recursive: true, force: true });
  }
}

/** An action without its seq (the harness numbers them). */
export type Step = DiskAction extends infer A ? (A extends DiskAction ? Omit<A, "seq"> : never) : never;

/** The result of one kind (`mkdir` and `open` share a member of the union). */
export type ResultOf<K extends DiskResult["kind"]> = DiskResult & { kind: K };

/** A Disk whose results are collected, with one-call helpers that run an action and return its answer. */
export class DiskHarness {
  readonly results: DiskResult[] = [];
  readonly disk: Disk;
  private seq = 0;

  constructor(options: Omit<DiskOptions, "onResult">) {
    this.disk = new Disk({ ...options, onResult: (result) => this.results.push(result) });
    harnesses.add(this);
  }

  /** Submits the action, waits for the Disk to be idle, and returns every result it gave (progress too). */
  async all(step: Step): Promise<DiskResult[]> {
    const seq = ++this.seq;
    this.disk.submit({ ...step, seq } as DiskAction);
    await this.disk.idle();
    return this.results.filter((r) => r.seq === seq && r.key === step.key);
  }

  /** The action's one answer (not a `hashing` progress result); undefined for actions that answer nothing. */
  async run(step: Step): Promise<DiskResult | undefined> {
    const answers = (await this.all(step)).filter((r) => r.kind !== "hashing");
    if (answers.length > 1) throw new Error(`more than one answer: ${JSON.stringify(answers)}`);
    return answers[0];
  }

  /** Like run, and fails the test unless the answer is of `kind`. */
  async ok<K extends DiskResult["kind"]>(kind: K, step: Step): Promise<ResultOf<K>> {
    const answer = await this.run(step);
    if (answer?.kind !== kind)
      throw new Error(`expected ${kind} for ${step.kind}, got ${JSON.stringify(answer)}`);
    return answer as ResultOf<K>;
  }

  /** Runs the action and returns its failure; fails the test if it did not fail. */
  async fails(step: Step): Promise<ResultOf<"failed">> {
    return this.ok("failed", step);
  }

  /** Opens, writes and finalizes one file: the usual sequence of a file entry. */
  async receiveFile(key: string, path: string[], content: Uint8Array, mode = 0o644, root = false) {
    await this.ok("open", { kind: "open", key, path, offset: 0, root });
    if (content.length > 0) await this.ok("write", { kind: "write", key, bytes: content });
    return this.run({ kind: "finalize", key, path, mode, root });
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Lets a Disk catch up: until it is idle, or has given no result for a while. An open waits while another
 * transfer holds a part file of the same name, and only that transfer's later actions (or its end) release
 * it: a test that waited for idle there would wait forever.
 */
export async function settleDisk(disk: Disk, results: () => number): Promise<void> {
  const idle = disk.idle().then(() => true);
  for (;;) {
    const before = results();
    if (await Promise.race([idle, Bun.sleep(10).then(() => false)])) return;
    if (results() === before) return;
  }
}
