import { describe, expect, test } from "bun:test";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { literal, PROMPT, RTT, say, startChat } from "./chat-panes.ts";

/**
 * Issue 9: a block of lines pasted into the terminal is one message. tmux pastes as a terminal does: line
 * feeds as carriage returns (what Enter sends), inside bracketed-paste marks once the program asks for them.
 */
describe.skipIf(!tmuxAvailable())("pasting several lines", () => {
  test("a pasted block is one message, shown as a block on both sides, acknowledged once", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);
      const lines = ["first pasted line", "second pasted line", "", "fourth, after an empty one"];

      await client.type("typed, then ");
      await client.paste(`${lines.join("\n")}\n`);
      // In the input, a block under the prompt, not yet sent; the cursor after its end.
      const indent = " ".repeat(`${PROMPT} `.length);
      // (Rows read back have their trailing blanks removed, so an empty line's indent is not there.)
      const inInput = [
        `${PROMPT} typed, then ${lines[0]}`,
        ...lines.slice(1).map((l) => `${indent}${l}`.trimEnd()),
      ];
      await client.waitUntil(
        (screen) => screen.endsWith(inInput.join("\n")),
        "the pasted block in the input",
      );
      expect(await client.cursor()).toMatchObject({ x: inInput[inInput.length - 1]?.length });

      // Enter typed by hand sends it.
      await client.press("Enter");
      const head = "client › ";
      const shown = [
        `${head}typed, then ${lines[0]}`,
        ...lines.slice(1).map((l) => `${" ".repeat(head.length)}${l}`.trimEnd()),
      ];
      await server.waitForText(new RegExp(`^${literal(shown.join("\n"))}$`, "m"));
      const last = inInput[inInput.length - 1] as string;
      await client.waitForText(
        new RegExp(`^${literal(inInput.slice(0, -1).join("\n"))}\n${literal(last)} +${RTT}$`, "m"),
      );

      // A message after it arrives after anything the paste could have sent: then count.
      await say(client, "after the paste");
      await server.waitForText(/^client › after the paste$/m);
      await client.waitForText(new RegExp(`^${PROMPT} after the paste +${RTT}$`, "m"));
      expect((await server.capture()).match(/^client › /gm)?.length).toBe(2);
      expect((await client.capture()).match(/✓/g)?.length).toBe(2);
    });
  }, 120_000);
});

describe.skipIf(!tmuxAvailable())("pasting more lines than the screen holds", () => {
  test("the input shows a window of the block; what arrives meanwhile stays in view; all of it is sent", async () => {
    await withTmux(async (tmux, first) => {
      const { server, client } = await startChat(tmux, first);
      const lines = Array.from({ length: 60 }, (_, i) => `pasted line ${i + 1} of sixty`);
      await client.paste(lines.join("\n"));
      // The screen has 40 rows: the input gets at most half of them, its start out of view.
      await client.waitForText(/^⋮ \d+ more rows above$/m);
      const input = await client.waitUntil((s) => s.endsWith(`      ${lines[59]}`), "the end of the block");
      expect(input).not.toContain(lines[0]);
      expect(input).toMatch(/● connected to/);

      await say(server, "a message while the block is in the input");
      await client.waitForText(/^server › a message while the block is in the input$/m);
      expect(await client.capture()).toMatch(/● connected to/);
      await client.waitUntil((s) => s.endsWith(`      ${lines[59]}`), "the end of the block, still");

      await client.press("Enter");
      await client.waitForText(new RegExp(`^      ${literal(lines[59] as string)} +${RTT}$`, "m"));
      await server.waitForText(new RegExp(`^ {9}${literal(lines[59] as string)}$`, "m"));
      // One message, whole: its 60 lines under one name, in order.
      const received = (await server.capture({ history: true })).split("\n");
      const start = received.indexOf(`client › ${lines[0]}`);
      expect(start).toBeGreaterThan(0);
      expect(received.slice(start, start + 60)).toEqual([
        `client › ${lines[0]}`,
        ...lines.slice(1).map((line) => `         ${line}`),
      ]);
      expect(received.filter((line) => line.startsWith("client › ")).length).toBe(1);
    });
  }, 120_000);
});
