import { describe, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { type Pane, tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { defineProgram, startClient, startServer } from "./chat-panes.ts";

/**
 * A peer's bytes must never drive the terminal. The peer here is the program in --json mode, whose stdin
 * lines are sent as they are: an erase-screen, a cursor move, a colour and a bell, then bytes that are not
 * UTF-8.
 */
const HOSTILE = "\x1b[2J\x1b[H\x1b[31mafter the clear\x07\n";
const NOT_UTF8 = new Uint8Array([0xff, 0xfe, 0x20, 0x6f, 0x6b, 0x0a]); // ff fe " ok\n"

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for a real SGR that sets red.
const RED = /\x1b\[(?:[0-9;]*;)?31(?:;[0-9;]*)?m/;

async function expectShownNotExecuted(pane: Pane, who: string, before: RegExp[]): Promise<void> {
  await pane.waitForText(new RegExp(`^${who} › \\\\e\\[2J\\\\e\\[H\\\\e\\[31mafter the clear\\\\x07$`, "m"));
  await pane.waitForText(new RegExp(`^${who} › \\\\xff\\\\xfe ok$`, "m"));
  const screen = await pane.capture();
  // Had the erase run, the lines before it would be gone from the visible screen.
  for (const line of before) expect(screen).toMatch(line);
  // Had the colour run, the text after it would be red.
  expect(await pane.capture({ escapes: true })).not.toMatch(RED);
}

describe.skipIf(!tmuxAvailable())("control bytes from the peer are shown, not executed", () => {
  test("on the interactive server", async () => {
    await withTmux(async (_tmux, pane) => {
      await defineProgram(pane);
      const port = await startServer(pane);
      const peer = new JsonProgram(["client", `127.0.0.1:${port}`]);
      try {
        await peer.waitFor((e) => e.event === "connected", 20_000);
        peer.write("before the clear\n");
        await pane.waitForText(/^client › before the clear$/m);
        peer.write(HOSTILE);
        peer.write(NOT_UTF8);
        await peer.waitForCount((e) => e.event === "ack", 3, 20_000);
        await expectShownNotExecuted(pane, "client", [
          /^sh\$ 121chat server/m,
          /listening on port \d+/,
          /^client › before the clear$/m,
        ]);
      } finally {
        await peer.stop();
      }
    });
  }, 120_000);

  test("on the interactive client", async () => {
    const peer = await JsonProgram.server(["--host", "127.0.0.1"]);
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        await startClient(pane, peer.port);
        await peer.waitFor((e) => e.event === "connected", 20_000);
        peer.write("before the clear\n");
        await pane.waitForText(/^server › before the clear$/m);
        peer.write(HOSTILE);
        peer.write(NOT_UTF8);
        await peer.waitForCount((e) => e.event === "ack", 3, 20_000);
        await expectShownNotExecuted(pane, "server", [
          /^sh\$ 121chat client/m,
          /connected to 127\.0\.0\.1:\d+/,
          /^server › before the clear$/m,
        ]);
      });
    } finally {
      await peer.stop();
    }
  }, 120_000);
});
