import { describe, expect, test } from "bun:test";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import {
  defineProgram,
  literal,
  PROMPT,
  programWindow,
  RTT,
  say,
  startChat,
  startClient,
  startServer,
} from "./chat-panes.ts";

describe.skipIf(!tmuxAvailable())("interactive chat in a terminal", () => {
  test("two windows chat both ways; each sender sees the round-trip time of its message", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);
      await server.waitForText(/connected to 127\.0\.0\.1:\d+/);

      await say(client, "hello from the client");
      await server.waitForText(/^client › hello from the client$/m);
      await client.waitForText(new RegExp(`^${PROMPT} hello from the client +${RTT}$`, "m"));

      await say(server, "hello from the server");
      await client.waitForText(/^server › hello from the server$/m);
      await server.waitForText(new RegExp(`^${PROMPT} hello from the server +${RTT}$`, "m"));

      // A second message each way gets its own ✓ on its own line.
      await say(client, "second from the client");
      await say(server, "second from the server");
      await client.waitForText(new RegExp(`^${PROMPT} second from the client +${RTT}$`, "m"));
      await server.waitForText(new RegExp(`^${PROMPT} second from the server +${RTT}$`, "m"));
      await server.waitForText(/^client › second from the client$/m);
      await client.waitForText(/^server › second from the server$/m);
    });
  }, 120_000);

  test("in a narrow terminal the program's own notices break between words, not inside them", async () => {
    await withTmux(async (tmux, first) => {
      const server = await defineProgram(first);
      const client = await programWindow(tmux);
      await client.resize(44);
      const port = await startServer(server);
      await startClient(client, port);
      // Left to the terminal, 44 columns would cut this sentence inside words ("/hel" | "p").
      const notice = `● connected to 127.0.0.1:${port} — end-to-end encrypted · Enter sends; /help for commands`;
      const screen = (await client.waitForText(/● connected to[\s\S]*you ›/)).input ?? "";
      const rows = screen.split("\n");
      const at = rows.findIndex((row) => row.startsWith("● connected to"));
      let end = at + 1;
      while (rows[end]?.startsWith("  ")) end++;
      const noticeRows = rows.slice(at, end);
      expect(noticeRows.length).toBeGreaterThan(1);
      // Each row after the first is indented by two and starts a word; joined at spaces, the sentence whole.
      for (const row of noticeRows.slice(1)) expect(row).toMatch(/^ {2}\S/);
      expect(noticeRows.map((row) => row.trim()).join(" ")).toBe(notice);
      for (const row of noticeRows) expect(Bun.stringWidth(row)).toBeLessThanOrEqual(44);
    });
  }, 120_000);

  test("a half-typed line survives an incoming message and is then sent whole", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      await server.type("half-typed on the server");
      await server.waitUntil((screen) => screen.endsWith(`${PROMPT} half-typed on the server`), "typed text");

      await say(client, "interruption from the client");
      await server.waitForText(/^client › interruption from the client$/m);
      const after = await server.capture();
      // The message is above the input line, the input line still holds what was typed, and only once.
      expect(after.split("\n").pop()).toBe(`${PROMPT} half-typed on the server`);
      expect(after.split("half-typed on the server").length - 1).toBe(1);
      expect(after.indexOf("interruption from the client")).toBeLessThan(after.indexOf("half-typed"));

      await server.type(" and finished");
      await server.press("Enter");
      await client.waitForText(/^server › half-typed on the server and finished$/m);
      await server.waitForText(new RegExp(`^${PROMPT} half-typed on the server and finished +${RTT}$`, "m"));
    });
  }, 120_000);

  test("the ✓ of a wrapped line of wide characters goes after its end, covering nothing", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      // "you › a" is 7 columns, so the 57th 日 does not fit on the first row of 120 and starts the second.
      const wide = `a${"日".repeat(106)}`;
      await say(client, wide);
      await server.waitForText(new RegExp(`^client › ${wide}$`, "m"));
      await client.waitForText(new RegExp(`^${PROMPT} ${wide} +${RTT}$`, "m"));
    });
  }, 120_000);

  test("/help lists the commands, /stats shows counts and round trips, //text sends /text", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      await say(client, "/help");
      for (const command of ["/help", "/stats", "/quit", "//text"]) {
        await client.waitForText(new RegExp(`^ +${literal(command)} +\\S`, "m"));
      }

      await say(client, "first");
      await client.waitForText(new RegExp(`^${PROMPT} first +${RTT}$`, "m"));
      await say(client, "//slash at the start");
      await server.waitForText(/^client › \/slash at the start$/m);
      await client.waitForText(new RegExp(`^${PROMPT} //slash at the start +${RTT}$`, "m"));
      await say(server, "one back");
      await client.waitForText(/^server › one back$/m);

      await say(client, "/stats");
      await client.waitForText(/sent 2\b.*acknowledged 2\b.*received 1\b/);
      await client.waitForText(
        /min \d+(\.\d+)? ms.*median \d+(\.\d+)? ms.*p99 \d+(\.\d+)? ms.*max \d+(\.\d+)? ms/,
      );
      // Commands are not messages: the server saw only the two messages.
      const serverScreen = await server.capture();
      expect(serverScreen).not.toContain("client › /help");
      expect(serverScreen).not.toContain("client › /stats");
      expect(serverScreen.match(/^client › /gm)?.length).toBe(2);
    });
  }, 120_000);

  test("Ctrl-D on an empty line leaves like /quit, and both sides print the summary", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      await say(client, "before leaving");
      await client.waitForText(new RegExp(`^${PROMPT} before leaving +${RTT}$`, "m"));
      await client.press("C-d");

      await client.waitForText(/^● you left the chat$/m);
      await client.waitForText(/sent 1\b.*acknowledged 1\b.*received 0\b/);
      await client.waitForText(/min \d+(\.\d+)? ms.*max \d+(\.\d+)? ms/);
      expect(await client.exitStatus()).toBe(0);

      await server.waitForText(/^● the client left the chat$/m);
      await server.waitForText(/sent 0\b.*acknowledged 0\b.*received 1\b/);
      await server.waitForText(/waiting for the next client/);
      await server.waitUntil((screen) => screen.endsWith(PROMPT), "input prompt after the summary");
    });
  }, 120_000);
});
