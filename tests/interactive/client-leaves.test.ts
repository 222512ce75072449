import { describe, expect, test } from "bun:test";
import { SHELL_PROMPT, tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import {
  defineProgram,
  PROMPT,
  programWindow,
  RTT,
  say,
  startChat,
  startClient,
  startServer,
  waitForEditor,
} from "./chat-panes.ts";

describe.skipIf(!tmuxAvailable())("leaving, and coming back", () => {
  test("Ctrl-C on the client leaves the server waiting, and a new client then chats", async () => {
    await withTmux(async (tmux, first) => {
      const server = await defineProgram(first);
      const client = await programWindow(tmux);
      const port = await startServer(server);

      // Nobody there yet: typing on the server says so instead of dropping the line silently.
      await say(server, "is anyone there");
      await server.waitForText(/^no client is connected: not sent$/m);

      await startClient(client, port);
      await say(client, "first client here");
      await server.waitForText(/^client › first client here$/m);
      await client.waitForText(new RegExp(`^${PROMPT} first client here +${RTT}$`, "m"));

      await client.press("C-c");
      await client.waitForText(/^● you left the chat$/m);
      expect(await client.exitStatus()).toBe(0);

      await server.waitForText(/^● the client left the chat\b/m);
      // With the code it needs (the session's own may have scrolled away).
      await server.waitForText(/^waiting for the next client… \(code: [a-z]+-[a-z]+-[a-z]+\)$/m);
      await waitForEditor(server);

      // The server is still running and tells again that nobody is connected.
      await say(server, "still there?");
      await server.waitUntil(
        (screen) => screen.match(/^no client is connected: not sent$/gm)?.length === 2,
        "second not-sent notice",
      );

      // A new client, in the same terminal, chats both ways.
      await client.press("C-l"); // bash clears the screen
      await client.waitUntil((screen) => screen === SHELL_PROMPT, "cleared screen");
      await startClient(client, port);
      await server.waitUntil(
        (screen) => screen.match(/connected to 127\.0\.0\.1:\d+/g)?.length === 2,
        "second connection",
      );
      await say(client, "second client here");
      await server.waitForText(/^client › second client here$/m);
      await client.waitForText(new RegExp(`^${PROMPT} second client here +${RTT}$`, "m"));
      await say(server, "welcome back");
      await client.waitForText(/^server › welcome back$/m);
      await server.waitForText(new RegExp(`^${PROMPT} welcome back +${RTT}$`, "m"));

      // /quit leaves too, with the summary on both sides.
      await say(client, "/quit");
      await client.waitForText(/^● you left the chat$/m);
      await client.waitForText(/sent 1\b.*acknowledged 1\b.*received 1\b/);
      expect(await client.exitStatus()).toBe(0);
      await server.waitUntil(
        (screen) => screen.match(/^waiting for the next client/gm)?.length === 2,
        "waiting again after the second client",
      );
    });
  }, 120_000);

  test("the client says so when the server stops, and exits", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      await say(client, "last words");
      await server.waitForText(/^client › last words$/m);
      await server.press("C-c");
      expect(await server.exitStatus()).toBe(0);
      // The server's summary, and nothing that says it would wait for another client.
      const serverScreen = await server.capture();
      expect(serverScreen).toMatch(/^● you left the chat$/m);
      expect(serverScreen).toMatch(/sent 0\b.*acknowledged 0\b.*received 1\b/);
      expect(serverScreen).not.toContain("waiting for the next client");

      await client.waitForText(/^● the server left the chat\b/m);
      await client.waitForText(/sent 1\b.*acknowledged 1\b.*received 0\b/);
      expect(await client.exitStatus()).toBe(0);
    });
  }, 120_000);

  test("a second client is told the server is busy and exits 1; the first one chats on", async () => {
    await withTmux(async (tmux, first) => {
      const server = await defineProgram(first);
      const client = await programWindow(tmux);
      const second = await programWindow(tmux);
      const port = await startServer(server);
      await startClient(client, port);

      await second.run(`121chat client 127.0.0.1:${port}`);
      await second.waitForText(/^● the server is busy\b/m);
      expect(await second.exitStatus()).toBe(1);
      // It never had a session: no summary of one.
      expect(await second.capture()).not.toMatch(/sent \d+/);
      await server.waitForText(/^refused 127\.0\.0\.1:\d+: the server is busy/m);

      await say(client, "still here");
      await server.waitForText(/^client › still here$/m);
      await client.waitForText(new RegExp(`^${PROMPT} still here +${RTT}$`, "m"));
    });
  }, 120_000);
});
