import { describe, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { defineProgram, PROMPT, RTT, say, waitForEditor } from "./chat-panes.ts";

/**
 * The client's code prompt in a real terminal (issue 8): completion from the word list, a word that is not
 * on it flagged before anything is sent, the secured notice, and what a wrong code says.
 */

/** A JSON server that draws its own codes; its first code. */
async function serverWithDrawnCode(): Promise<{ server: JsonProgram & { port: number }; code: string }> {
  const server = await JsonProgram.server(["--host", "127.0.0.1"], { CHAT121_CODE: "" });
  const listening = await server.waitFor((e) => e.event === "listening");
  return { server, code: String(listening.code) };
}

describe.skipIf(!tmuxAvailable())("the code prompt", () => {
  test("Tab completes a word; a word off the list is flagged and nothing is sent; the right code connects", async () => {
    const { server, code } = await serverWithDrawnCode();
    const [first, second, third] = code.split("-") as [string, string, string];
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        await pane.run(`CHAT121_CODE= 121chat client 127.0.0.1:${server.port}`);
        await pane.waitForText(/Code shown by the server/);
        await pane.waitForText(/3 words, as the server shows them; Tab completes a word/);

        // A word that is not on the list: flagged as soon as the next word starts.
        await pane.type("lantern ");
        await pane.waitForText(/“lantern” is not a code word/);
        await pane.press("Enter");
        await pane.waitForText(/“lantern” is not a code word: check it against the server's screen/);
        // Nothing reached the network: the server saw no connection, no failed try, and kept its code.
        await Bun.sleep(300);
        expect(server.events.map((e) => e.event)).toEqual(["listening"]);

        // Start again; Tab completes each word from its first four letters (BIP-39 words are unique there).
        await pane.press("C-u");
        await pane.type(first.slice(0, 4));
        await pane.press("Tab");
        await pane.waitForText(new RegExp(`${first}-`));
        await pane.type(`${second} ${third}`);
        await pane.press("Enter");

        await pane.waitForText(
          new RegExp(`connected to 127\\.0\\.0\\.1:${server.port} — end-to-end encrypted`),
        );
        await waitForEditor(pane);
        expect(await server.waitFor((e) => e.event === "connected")).toMatchObject({ encrypted: true });
        await say(pane, "after the code");
        await pane.waitForText(new RegExp(`^${PROMPT} after the code +${RTT}$`, "m"));
        expect(server.events.filter((e) => e.event === "code-failed")).toEqual([]);
        await pane.press("C-c");
        expect(await pane.exitStatus()).toBe(0);
      });
    } finally {
      await server.stop();
    }
  }, 120_000);

  test("a wrong code (good words, not the server's): the client says so and exits 1; the server replaces its code", async () => {
    const { server, code } = await serverWithDrawnCode();
    const wrong = code === "abandon-ability-able" ? "zoo-zoo-zoo" : "abandon-ability-able";
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        await pane.run(`CHAT121_CODE= 121chat client 127.0.0.1:${server.port}`);
        await pane.waitForText(/Code shown by the server/);
        await pane.type(wrong);
        await pane.press("Enter");
        await pane.waitForText(/the code did not match: the server has replaced it with a new one/);
        expect(await pane.exitStatus()).toBe(1);
        // No session was summed up: there was none.
        expect(await pane.capture()).not.toContain("round trip");
      });
      const failed = await server.waitFor((e) => e.event === "code-failed");
      expect(String(failed.peer)).toMatch(/^127\.0\.0\.1:\d+$/);
      const next = await server.waitFor((e) => e.event === "code");
      expect(next.code).not.toBe(code);
    } finally {
      await server.stop();
    }
  }, 120_000);

  test("both sides say the session is end-to-end encrypted; --no-encryption on both says it is not", async () => {
    await withTmux(async (tmux, pane) => {
      const server = await defineProgram(pane);
      await server.run("121chat server --port 0 --host 127.0.0.1");
      const banner = await server.waitForText(/listening on port (\d+)/);
      await server.waitForText(/code: orbit-lemon-swift/);
      const client = await defineProgram(await tmux.newWindow());
      await client.run(`121chat client 127.0.0.1:${banner[1]}`);
      await client.waitForText(/connected to 127\.0\.0\.1:\d+ — end-to-end encrypted/);
      await server.waitForText(/connected to 127\.0\.0\.1:\d+ — end-to-end encrypted/);
      await client.press("C-c");
      await server.press("C-c");

      await server.waitForShellPrompt();
      await server.run("121chat server --port 0 --host 127.0.0.1 --no-encryption");
      await server.waitForText(/not encrypted \(--no-encryption\)/);
      const port = [...(await server.capture()).matchAll(/listening on port (\d+)/g)].pop()?.[1];
      await client.waitForShellPrompt();
      await client.run(`121chat client 127.0.0.1:${port} --no-encryption`);
      await client.waitForText(/connected to 127\.0\.0\.1:\d+ — not encrypted/);
      await server.waitForText(/connected to 127\.0\.0\.1:\d+ — not encrypted/);
      await client.press("C-c");
      await server.press("C-c");
    });
  }, 120_000);
});
