import { describe, expect, test } from "bun:test";
import { expectCursorAtEnd, type Pane, tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { literal, PROMPT, RTT, say, startChat } from "./chat-panes.ts";

/**
 * Issue 9: messages printed above a half-typed line that wraps used to lose their last row, all but the
 * first. Each case types a line that wraps, lets three wrapping messages arrive, and reads the screen with
 * the wrapped rows joined: every message whole, the half-typed line intact at the bottom, the cursor at
 * its end; then the line is finished and sent whole.
 */

/** Waits until `pane` ends with the prompt and `typed`, joined across rows. */
async function waitForInput(pane: Pane, typed: string): Promise<string> {
  return pane.waitUntil((screen) => screen.endsWith(`${PROMPT} ${typed}`), `input "${typed}"`);
}

/** Every message shown whole, each on its own (joined) line, in order; `typed` once, as the last line. */
async function expectWholeAndIntact(pane: Pane, who: string, messages: string[], typed: string) {
  const screen = await pane.capture();
  let at = 0;
  for (const message of messages) {
    const match = new RegExp(`^${who} › ${literal(message)}$`, "m").exec(screen.slice(at));
    expect(match, `"${message}" whole on the screen`).not.toBeNull();
    at += (match?.index ?? 0) + message.length;
  }
  expect(screen.split("\n").pop()).toBe(`${PROMPT} ${typed}`);
  expect(screen.split(typed).length - 1).toBe(1);
  await expectCursorAtEnd(pane);
}

const CASES = [
  {
    name: "60 columns, the issue's reproduction",
    columns: 60,
    typed: "half typed line that is quite long and will wrap around the narrow terminal",
    message: (n: number) => `incoming message number ${n} which is also long enough to wrap in sixty columns`,
  },
  {
    name: "120 columns, a 150-character half-typed line",
    columns: 120,
    typed: `a half-typed line of a hundred and fifty characters: ${"x".repeat(96)}`,
    message: (n: number) =>
      `incoming message number ${n} ${"which is long enough to wrap in a hundred and twenty columns ".repeat(2)}`.trim(),
  },
  {
    name: "60 columns, wide (CJK) characters in the input and in the messages",
    columns: 60,
    // "you › a" is 7 columns: the 27th wide character does not fit in column 60 and starts the next row.
    typed: `a${"日本語の入力です".repeat(5)}`,
    message: (n: number) => `第${n}のメッセージは六十桁の端末で折り返すほど長いです。${"とても".repeat(6)}`,
  },
];

describe.skipIf(!tmuxAvailable())("everything the peer sends shows whole above a half-typed line", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      await withTmux(async (tmux, first) => {
        const { server, client } = await startChat(tmux, first);
        await server.resize(c.columns);

        await server.type(c.typed);
        await waitForInput(server, c.typed);
        const messages = [1, 2, 3].map(c.message);
        for (const message of messages) await say(client, message);
        await server.waitForText(new RegExp(`^client › ${literal(messages[2] as string)}$`, "m"));
        await expectWholeAndIntact(server, "client", messages, c.typed);

        await server.type(" and finished");
        await server.press("Enter");
        await client.waitForText(new RegExp(`^server › ${literal(c.typed)} and finished$`, "m"));
        await server.waitForText(new RegExp(`^${PROMPT} ${literal(c.typed)} and finished +${RTT}$`, "m"));
      });
    }, 120_000);
  }

  test("a resize while typing: later messages whole, and each ✓ on its line or on a line of its own", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);

      await say(client, "before the resize");
      await client.waitForText(new RegExp(`^${PROMPT} before the resize +${RTT}$`, "m"));
      const typed = `typed at 120 columns, then the terminal narrows and widens again ${"y".repeat(90)}`;
      await client.type(typed);
      await waitForInput(client, typed);

      await client.resize(60);
      // Let the program take the resize (SIGWINCH) in before more output comes: a settling pause, not a
      // measurement.
      await Bun.sleep(300);
      const messages = [1, 2, 3].map(
        (n) => `message ${n} after narrowing, long enough to wrap in sixty columns`,
      );
      for (const message of messages) await say(server, message);
      await client.waitForText(new RegExp(`^server › ${literal(messages[2] as string)}$`, "m"));

      await client.resize(90);
      await Bun.sleep(300);
      const last = "one more after widening to ninety columns, which takes more than one row at sixty";
      await say(server, last);
      await client.waitForText(new RegExp(`^server › ${literal(last)}$`, "m"));
      await expectWholeAndIntact(client, "server", [...messages, last], typed);

      await client.type(" and sent");
      await client.press("Enter");
      await server.waitForText(new RegExp(`^client › ${literal(typed)} and sent$`, "m"));
      const sent = new RegExp(`^${PROMPT} ${literal(typed)} and sent +${RTT}$`, "m");
      const ownLine = new RegExp(`^ +#2 ${RTT}$`, "m");
      const screen = await client.waitUntil((s) => sent.test(s) || ownLine.test(s), "the second ✓");
      // Every ✓ on the screen is one of the two, where it belongs: none landed on another row.
      const marks = screen.split("\n").filter((line) => line.includes("✓"));
      expect(marks.length).toBe(2);
      for (const line of marks) {
        expect(line).toMatch(
          new RegExp(
            `^(?:${PROMPT} before the resize +${RTT}|${sent.source.slice(1, -1)}|${ownLine.source.slice(1, -1)})$`,
          ),
        );
      }
    });
  }, 120_000);
});
