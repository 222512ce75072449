import { describe, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { defineProgram, PROMPT, RTT, startClient } from "./chat-panes.ts";

/**
 * A console may end a line with \r (Enter in a raw-mode terminal), \n, or \r\n (Windows consoles, pasted
 * text): in the interactive front end each of these ends the line, and none of it becomes part of the
 * message.
 */
describe.skipIf(!tmuxAvailable())("line endings typed into the interactive client", () => {
  test("\\r, \\n and \\r\\n each end a line and none of them is sent", async () => {
    const server = await JsonProgram.server(["--host", "127.0.0.1"]);
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        await startClient(pane, server.port);

        await pane.type("crlf one\r\ncrlf two\r\n");
        await pane.type("cr only\r");
        await pane.type("lf only\n");

        const messages = await server.waitForCount((e) => e.event === "message", 4, 20_000);
        expect(messages.map((e) => [e.text, e.bytes])).toEqual([
          ["crlf one", 8],
          ["crlf two", 8],
          ["cr only", 7],
          ["lf only", 7],
        ]);
        // One screen line per line typed: the \n of a \r\n did not make an empty line in between.
        const sent = ["crlf one", "crlf two", "cr only", "lf only"].map(
          (text) => `${PROMPT} ${text} +${RTT}`,
        );
        await pane.waitForText(new RegExp(`^${sent.join("\n")}$`, "m"));
      });
    } finally {
      await server.stop();
    }
  }, 120_000);

  test("--json on a terminal: the console's \\r\\n ends the line and the \\r is not sent", async () => {
    const server = await JsonProgram.server(["--host", "127.0.0.1"]);
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        // Without ICRNL the terminal passes \r through as it is, as a Windows console does.
        await pane.run(`stty -icrnl; 121chat client 127.0.0.1:${server.port} --json`);
        await pane.waitForText(/"event":"connected"/);
        await pane.type("typed on a console\r\n");
        const message = await server.waitFor((e) => e.event === "message", 20_000);
        expect([message.text, message.bytes]).toEqual(["typed on a console", 18]);
      });
    } finally {
      await server.stop();
    }
  }, 120_000);
});
