import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { expectCursorAtEnd, shellQuote, tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { literal, PROMPT, RTT } from "./chat-panes.ts";

/**
 * Issue 9: the status line, set and cleared far more often than it is drawn while messages arrive and the
 * user types. A test-only driver sets it (support/status-driver.ts) through InteractiveView.setStatus: the
 * real InteractiveView and TerminalScreen, a stand-in for the network. It runs with the Bun running
 * the tests, in a terminal 60 columns wide so that every message and the input wrap.
 */
const DRIVER = resolve(import.meta.dir, "support/status-driver.ts");
const MESSAGES = 10;

const message = (n: number) =>
  `peer message ${n} of ${MESSAGES}, long enough to wrap in a terminal sixty columns wide`;

describe.skipIf(!tmuxAvailable())("the status line", () => {
  test("set and cleared while messages arrive and the user types: nothing lost, input intact, ✓ in place", async () => {
    await withTmux(async (_tmux, pane) => {
      await pane.resize(60);
      await pane.run(`clear; ${shellQuote(process.execPath)} ${shellQuote(DRIVER)} ${MESSAGES}`);
      await pane.waitForText(/connected to stand-in peer/);

      // Typed in pieces while the driver prints and updates the status.
      const pieces = [
        "typing while ",
        "the status line changes ",
        "and messages arrive, ",
        "long enough to wrap",
      ];
      for (const piece of pieces) {
        await pane.type(piece);
        await Bun.sleep(100);
      }
      const typed = pieces.join("");
      // The erase-screen sequence in it is shown, not executed (had it run, the messages would be gone).
      const finalStatus = String.raw`status: all ${MESSAGES} delivered, the last from "\e[2J\e[Hpeer"`;
      const screen = await pane.waitUntil(
        (s) => s.endsWith(`${finalStatus}\n${PROMPT} ${typed}`),
        "the final status above the input",
      );

      // Every message once, whole, in order, one after the other: no row lost, none overwritten by the
      // status, no status left behind among them.
      const lines = screen.split("\n");
      const firstMessage = lines.indexOf(`client › ${message(1)}`);
      expect(firstMessage).toBeGreaterThan(0);
      expect(lines.slice(firstMessage)).toEqual([
        ...Array.from({ length: MESSAGES }, (_, i) => `client › ${message(i + 1)}`),
        finalStatus,
        `${PROMPT} ${typed}`,
      ]);
      expect(screen.match(/status:/g)?.length).toBe(1);
      await expectCursorAtEnd(pane);

      // Sent, the line joins the conversation above the status line; typing goes on (a line that wraps)
      // before its ACK comes. Then its ✓ lands on its row, and the driver clears the status: the sent
      // line, then the input, intact.
      await pane.press("Enter");
      const next = "a second line, typed before the first one is acknowledged, wrapping in sixty columns";
      await pane.type(next);
      const sent = `${PROMPT} ${literal(typed)} +${RTT}`;
      const after = new RegExp(
        `^client › ${literal(message(MESSAGES))}\n${sent}\n${PROMPT} ${literal(next)}$`,
      );
      await pane.waitUntil((s) => after.test(s.split("\n").slice(-3).join("\n")), "the ✓, then the input");
      expect(await pane.capture()).not.toContain("status:");
      await expectCursorAtEnd(pane);

      await pane.press("C-c");
      await pane.waitForShellPrompt();
    });
  }, 120_000);
});
