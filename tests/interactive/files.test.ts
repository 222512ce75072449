import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256File } from "../../scripts/checksums.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeOffer } from "../../src/transfer/frames.ts";
import { namesIn } from "../helpers/folders.ts";
import { TEST_CODE } from "../helpers/program.ts";
import { RecordingRelay } from "../helpers/recording-relay.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";
import { type Pane, shellQuote, type Tmux, tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { defineProgram, literal, PROMPT, programWindow, RTT, say, waitForEditor } from "./chat-panes.ts";

/**
 * Files in the chat, in real terminals (issue 11): the client types `/send PATH`, the server sees the offer
 * and types `/accept`; the progress shows on the status line of both (just above the line being typed)
 * while the transfer runs; a message typed meanwhile arrives and gets its ✓ before the transfer ends; the
 * done line on both; `/cancel` mid-way shows on both. Names from the other side are shown escaped: a file
 * name with an escape sequence neither clears the screen nor colours it.
 *
 * The client reaches the server through a relay in the test process that slows the client's direction
 * (a slow link), so that the transfer lasts a few seconds and can be watched.
 */

const HOST = "127.0.0.1";
const MIB = 1024 * 1024;
/** An erase-screen and a red colour, in a file name. */
const EVIL = "x\x1b[2J\x1b[31mred.txt";
/** How the program shows it. */
const EVIL_SHOWN = "x\\e[2J\\e[31mred.txt";

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for a real SGR that sets red.
const RED = /\x1b\[(?:[0-9;]*;)?31(?:;[0-9;]*)?m/;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function base(): Promise<{ src: string; downloads: string }> {
  const dir = await mkdtemp(join(tmpdir(), "121chat-tmux-files-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const src = join(dir, "src");
  const downloads = join(dir, "downloads");
  await mkdir(src);
  await mkdir(downloads);
  return { src, downloads };
}

/**
 * An interactive server receiving into `downloads` in `first`, and an interactive client in a new window
 * connected to it through a relay that lets about `rate` bytes a second through toward the server.
 */
async function slowChat(
  tmux: Tmux,
  first: Pane,
  downloads: string,
  rate: number,
): Promise<{ server: Pane; client: Pane }> {
  const server = await defineProgram(first);
  const client = await programWindow(tmux);
  await server.run(`121chat server --port 0 --host ${HOST} --download-dir ${shellQuote(downloads)}`);
  const port = Number((await server.waitForText(/listening on port (\d+)/))[1]);
  await waitForEditor(server);
  const relay = new RecordingRelay({ host: HOST, port }, HOST, { toServerBytesPerSecond: rate });
  cleanups.push(() => relay.close());
  await client.run(`121chat client ${HOST}:${relay.port}`);
  await client.waitForText(new RegExp(`connected to ${literal(HOST)}:${relay.port}\\b`));
  await waitForEditor(client);
  await server.waitForText(/connected to 127\.0\.0\.1:\d+/);
  return { server, client };
}

/** The status line: the row just above the input prompt (the last row). */
async function statusLine(pane: Pane): Promise<string> {
  const rows = (await pane.capture()).split("\n");
  return rows.at(-2) ?? "";
}

/** Waits until the status line (just above the prompt) matches `pattern`; returns it. */
async function waitForStatus(pane: Pane, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  await pane.waitUntil(
    (screen) => pattern.test(screen.split("\n").at(-2) ?? ""),
    `status line ${pattern}`,
    timeoutMs,
  );
  return statusLine(pane);
}

/** Waits until the status line no longer shows a transfer's progress. */
async function waitForStatusCleared(pane: Pane): Promise<void> {
  await pane.waitUntil((screen) => !/% ·/.test(screen.split("\n").at(-2) ?? ""), "status line cleared");
}

describe.skipIf(!tmuxAvailable())("files in the chat, in a terminal", () => {
  test("/send, /accept, progress on both status lines, chat while it runs, the done lines", async () => {
    const { src, downloads } = await base();
    const album = join(src, "album");
    await mkdir(album);
    await mkdir(join(album, "nested"));
    await writeFile(join(album, "big.bin"), randomBytes(6 * MIB));
    await writeFile(join(album, "nested", "more.bin"), randomBytes(3 * MIB));
    // The sender leaves this one out (the receiver would refuse its name), and says so, escaped.
    await writeFile(join(album, EVIL), "never sent\n");
    await withTmux(async (tmux, first) => {
      const { server, client } = await slowChat(tmux, first, downloads, 2 * MIB);
      await say(server, "ready when you are");
      await client.waitForText(/^server › ready when you are$/m);

      await say(client, `/send ${album}`);
      await client.waitForText(
        /→ offering #1 album\/ \(9\.0 MiB in 4 entries\): waiting for the server to accept/,
      );
      await client.waitForText(
        new RegExp(
          `#1: left out album/${literal(EVIL_SHOWN)}: the receiver refuses its name \\(a name with a control character\\)`,
        ),
      );
      await server.waitForText(
        /← the client offers #1 album\/ \(9\.0 MiB in 4 entries\).*: \/accept 1 or \/decline 1/,
      );
      await say(server, "/accept");

      // The progress on both sides' status lines, with the whole and the current file, above the prompt.
      const progress = /^[↑↓] #1 album\/ \d+% · [\d.]+ [KM]i?B of 9\.0 MiB · .+ left · big\.bin \d+%$/;
      expect(await waitForStatus(client, progress)).toMatch(/^↑/);
      expect(await waitForStatus(server, progress)).toMatch(/^↓/);
      expect((await client.capture()).split("\n").at(-1)).toBe(PROMPT);

      // Chat while it runs: the message arrives and gets its ✓ while the transfer is still going.
      // The status line updates in place without disturbing a half-typed line.
      await client.type("chatting while");
      const before = await statusLine(client);
      await client.waitUntil((screen) => screen.split("\n").at(-2) !== before, "the status line updating");
      expect((await client.capture()).split("\n").at(-1)).toBe(`${PROMPT} chatting while`);
      await client.type(" it runs");
      await client.press("Enter");
      await server.waitForText(/^client › chatting while it runs$/m);
      await client.waitForText(new RegExp(`^${PROMPT} chatting while it runs +${RTT}$`, "m"));
      expect(await client.capture()).not.toMatch(/✓ #1 album\/ delivered/);
      expect(await server.capture()).not.toMatch(/✓ received #1 album/);
      expect(await statusLine(client)).toMatch(/^↑ #1 album\/ \d+%/);
      await say(server, "and back");
      await client.waitForText(/^server › and back$/m);
      await server.waitForText(new RegExp(`^${PROMPT} and back +${RTT}$`, "m"));

      // The current file moves on to the next one.
      await waitForStatus(server, /more\.bin \d+%$/, 30_000);

      await client.waitForText(
        /^✓ #1 album\/ delivered: the server has it all, checked \(9\.0 MiB in .+\)$/m,
        30_000,
      );
      await server.waitForText(
        /^✓ received #1 album\/ → album\/, every file checked \(9\.0 MiB in .+\)$/m,
        30_000,
      );
      // The status lines are gone; nothing was cleared or coloured on the way.
      for (const pane of [client, server]) await waitForStatusCleared(pane);
      // The notice of the name left out neither cleared the sender's screen nor coloured it.
      const screen = await client.capture();
      for (const line of [/connected to 127\.0\.0\.1/, /^server › ready when you are$/m, /→ offering #1/]) {
        expect(screen).toMatch(line);
      }
      expect(await client.capture({ escapes: true })).not.toMatch(RED);
    });
    expect(await namesIn(join(downloads, "album"))).toEqual(["big.bin", "nested", "nested/more.bin"].sort());
    for (const name of ["big.bin", "nested/more.bin"]) {
      expect(await sha256File(join(downloads, "album", name))).toBe(await sha256File(join(album, name)));
    }
  }, 120_000);

  test("/cancel mid-transfer on the receiving side shows on both; nothing is left behind", async () => {
    const { src, downloads } = await base();
    const path = join(src, "movie.bin");
    await writeFile(path, randomBytes(8 * MIB));
    await withTmux(async (tmux, first) => {
      const { server, client } = await slowChat(tmux, first, downloads, MIB);
      await say(client, `/send ${path}`);
      await server.waitForText(/← the client offers #1 movie\.bin \(8\.0 MiB\): \/accept 1 or \/decline 1/);
      await say(server, "/accept 1");
      await waitForStatus(server, /^↓ #1 movie\.bin \d+% · /);
      await waitForStatus(client, /^↑ #1 movie\.bin \d+% · /);
      await say(server, "/cancel");
      await server.waitForText(/^✗ #1 movie\.bin cancelled: cancelled$/m);
      await client.waitForText(/^✗ #1 movie\.bin cancelled by the server: cancelled$/m);
      for (const pane of [client, server]) await waitForStatusCleared(pane);
      // The chat goes on.
      await say(client, "fine, later");
      await server.waitForText(/^client › fine, later$/m);
    });
    expect(await readdir(downloads)).toEqual([]);
  }, 120_000);

  test("/cancel mid-transfer on the sending side shows on both", async () => {
    const { src, downloads } = await base();
    const path = join(src, "movie.bin");
    await writeFile(path, randomBytes(8 * MIB));
    await withTmux(async (tmux, first) => {
      const { server, client } = await slowChat(tmux, first, downloads, MIB);
      await say(client, `/send ${path}`);
      await server.waitForText(/← the client offers #1 movie\.bin/);
      await say(server, "/accept");
      await waitForStatus(client, /^↑ #1 movie\.bin \d+% · /);
      await say(client, "/cancel out 1");
      await client.waitForText(/^✗ #1 movie\.bin cancelled: cancelled$/m);
      await server.waitForText(/^✗ #1 movie\.bin cancelled by the client: cancelled$/m);
    });
    expect(await readdir(downloads)).toEqual([]);
  }, 120_000);

  test("/send of a path as terminals paste a dropped file (quoted, with a space) finds the file; a path that is not there says so as typed", async () => {
    const { src, downloads } = await base();
    await writeFile(join(src, "my notes.txt"), "dragged onto the terminal\n");
    await withTmux(async (tmux, first) => {
      const { server, client } = await slowChat(tmux, first, downloads, 8 * MIB);
      await say(client, `/send '${join(src, "my notes.txt")}'`);
      await server.waitForText(/← the client offers #1 my notes\.txt/);
      await say(server, "/accept");
      await server.waitForText(/^✓ received #1 my notes\.txt/m);
      await say(client, `/send '${join(src, "missing.txt")}'`);
      await client.waitForText(/^not sent: cannot send "'.*missing\.txt'": it does not exist/m);
    });
    expect(await readdir(downloads)).toEqual(["my notes.txt"]);
  }, 120_000);

  test("an offered name with an escape sequence is refused and shown escaped: the screen is neither cleared nor coloured", async () => {
    const { downloads } = await base();
    await withTmux(async (_tmux, pane) => {
      const server = await defineProgram(pane);
      await server.run(`121chat server --port 0 --host ${HOST} --download-dir ${shellQuote(downloads)}`);
      const port = Number((await server.waitForText(/listening on port (\d+)/))[1]);
      await waitForEditor(server);
      // A hostile sender (a real one never offers such a name: it leaves it out).
      const peer = await SecurePeer.open(HOST, port, TEST_CODE);
      cleanups.push(() => peer.destroy());
      await peer.waitForFrame((f) => f.type === FrameType.SESSION);
      await server.waitForText(/connected to 127\.0\.0\.1:\d+/);
      await peer.send(FrameType.FILE_OFFER, 1, encodeOffer({ totalBytes: 18, entries: 1, name: EVIL }));
      await server.waitForText(
        new RegExp(
          `^✗ #1 ${literal(EVIL_SHOWN)} cancelled: the offered name is refused: a name with a control character$`,
          "m",
        ),
      );
      const cancel = await peer.waitForFrame((f) => f.type === FrameType.FILE_CANCEL);
      expect(cancel.id).toBe(1);
      const screen = await server.capture();
      expect(screen).toMatch(/^sh\$ 121chat server/m);
      expect(screen).toMatch(/listening on port \d+/);
      expect(await server.capture({ escapes: true })).not.toMatch(RED);
    });
    expect(await readdir(downloads)).toEqual([]);
  }, 120_000);
});
