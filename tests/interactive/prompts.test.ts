import { describe, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import { defineProgram, PROMPT, RTT, say, waitForEditor } from "./chat-panes.ts";

describe.skipIf(!tmuxAvailable())("121chat without arguments asks what to do", () => {
  test("picking client mode and a host:port connects to the server", async () => {
    const server = await JsonProgram.server(["--host", "127.0.0.1"]);
    try {
      await withTmux(async (_tmux, pane) => {
        await defineProgram(pane);
        await pane.run("121chat");
        await pane.waitForText(/Start as/);
        await pane.waitForText(/● Server/);
        await pane.press("Down");
        await pane.waitForText(/● Client/);
        await pane.press("Enter");

        await pane.waitForText(/Server to connect to/);
        await pane.type(`127.0.0.1:${server.port}`);
        await pane.press("Enter");
        await pane.waitForText(new RegExp(`connected to 127\\.0\\.0\\.1:${server.port}\\b`));
        await waitForEditor(pane);

        await say(pane, "chosen from the prompts");
        expect(await server.waitFor((e) => e.event === "message", 20_000)).toMatchObject({
          text: "chosen from the prompts",
        });
        await pane.waitForText(new RegExp(`^${PROMPT} chosen from the prompts +${RTT}$`, "m"));

        await pane.press("C-c");
        expect(await pane.exitStatus()).toBe(0);
        await server.waitFor((e) => e.event === "disconnected", 20_000);
      });
    } finally {
      await server.stop();
    }
  }, 120_000);

  test("an empty host is refused at the prompt, with the reason", async () => {
    await withTmux(async (_tmux, pane) => {
      await defineProgram(pane);
      await pane.run("121chat");
      await pane.waitForText(/● Server/);
      await pane.press("Down");
      await pane.waitForText(/● Client/);
      await pane.press("Enter");
      await pane.waitForText(/Server to connect to/);
      await pane.press("Enter");
      await pane.waitForText(/address is needed/);
      await pane.press("C-c");
      expect(await pane.exitStatus()).toBe(0);
    });
  }, 120_000);

  test("picking server mode and port 0 listens on a free port", async () => {
    await withTmux(async (_tmux, pane) => {
      await defineProgram(pane);
      await pane.run("121chat");
      await pane.waitForText(/● Server/);
      await pane.press("Enter");
      await pane.waitForText(/Port to listen on/);
      await pane.type("0");
      await pane.press("Enter");
      const banner = await pane.waitForText(/listening on port (\d+)/);
      await waitForEditor(pane);

      const client = new JsonProgram(["client", `127.0.0.1:${banner[1]}`]);
      try {
        await client.waitFor((e) => e.event === "connected", 20_000);
        client.write("to the prompted server\n");
        await pane.waitForText(/^client › to the prompted server$/m);
        await client.waitFor((e) => e.event === "ack", 20_000);
      } finally {
        await client.stop();
      }
      await pane.press("C-c");
      expect(await pane.exitStatus()).toBe(0);
    });
  }, 120_000);

  test("Ctrl-C at the first prompt exits cleanly with status 0", async () => {
    await withTmux(async (_tmux, pane) => {
      await defineProgram(pane);
      await pane.run("121chat");
      await pane.waitForText(/Start as/);
      await pane.press("C-c");
      await pane.waitForText(/Cancelled/);
      expect(await pane.exitStatus()).toBe(0);
    });
  }, 120_000);
});
