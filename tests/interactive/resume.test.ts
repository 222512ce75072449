import { describe, expect, test } from "bun:test";
import { CuttingRelay, type RelayLink } from "../helpers/cutting-relay.ts";
import { tmuxAvailable, withTmux } from "../helpers/tmux.ts";
import {
  defineProgram,
  literal,
  PROMPT,
  programWindow,
  RTT,
  say,
  startClient,
  startServer,
} from "./chat-panes.ts";

/**
 * Issue 10 in a real terminal: the interactive client talks to the interactive server through a relay that
 * cuts the connection and turns the reconnect attempts away for a while. Both users are told what happens
 * (the drop, the attempts, the return), and a line typed on each side during the outage is delivered once:
 * shown once on the other side, its ✓ once on its own. Only the notices' words and the single delivery are
 * checked here, not where on the screen they are (the screen's layout is another issue's subject).
 */

const count = (screen: string, text: string) => screen.split(text).length - 1;

describe.skipIf(!tmuxAvailable())("interactive chat across a dropped connection", () => {
  test("the notices of the drop, the reconnect and the return; a line typed during the outage arrives once", async () => {
    await withTmux(async (tmux, first) => {
      const server = await defineProgram(first);
      const client = await programWindow(tmux);
      const port = await startServer(server);
      const relay = new CuttingRelay({ host: "127.0.0.1", port });
      try {
        await startClient(client, relay.port);
        await say(client, "before the outage");
        await client.waitForText(new RegExp(`^${PROMPT} before the outage +${RTT}$`, "m"));

        relay.refusing = "reset"; // the reconnect attempts are turned away until the test lets them through
        (relay.current as RelayLink).cut({ how: "reset" });
        await client.waitForText(/● connection lost \(.+\) — reconnecting…/);
        await server.waitForText(/● the client's connection dropped \(.+\) — keeping the session for 60 s/);

        await say(client, "typed during the outage");
        await say(server, "answered during the outage");
        // Both sides' status lines count what waits for the other side.
        await server.waitForText(/waiting for the client to come back \(at most 60 s\)… 1 message waiting/);
        // The status line says why the attempts fail: the relay resets them during the handshake.
        await client.waitForText(/reconnecting \(attempt 2\)… 1 message waiting · last try: \S/, 10_000);
        // Not delivered yet: no ✓ on the client's line, nothing on the other side.
        expect(await client.capture()).not.toMatch(/typed during the outage +✓/);
        expect(await server.capture()).not.toContain("client › typed during the outage");
        expect(await client.capture()).not.toContain("server › answered during the outage");

        relay.refusing = null;
        await client.waitForText(/● back after \d+\.\d s — \d+ messages? resent/, 15_000);
        await server.waitForText(/● back after \d+\.\d s — \d+ messages? resent/, 5_000);
        await server.waitForText(/^client › typed during the outage$/m);
        await client.waitForText(/^server › answered during the outage$/m);
        // Their round trips count from the resend; beside them, how long they took in all.
        await client.waitForText(
          new RegExp(`typed during the outage +${RTT} · delivered after \\d+\\.\\d s$`, "m"),
        );
        await server.waitForText(
          new RegExp(`answered during the outage +${RTT} · delivered after \\d+\\.\\d s$`, "m"),
        );

        // And the session goes on as before.
        await say(client, "after the outage");
        await server.waitForText(/^client › after the outage$/m);
        await client.waitForText(new RegExp(`after the outage +${RTT}$`, "m")); // sent at once: nothing beside

        const clientScreen = await client.capture();
        const serverScreen = await server.capture();
        // Once each: the line where it was typed, its ✓, the line on the other side.
        expect(count(clientScreen, "typed during the outage")).toBe(1);
        expect(count(clientScreen, "server › answered during the outage")).toBe(1);
        expect(count(serverScreen, "answered during the outage")).toBe(1);
        expect(count(serverScreen, "client › typed during the outage")).toBe(1);
        expect(count(serverScreen, "client › before the outage")).toBe(1);
        for (const screen of [clientScreen, serverScreen]) {
          expect(screen.match(/✓/g)?.length).toBe(screen === clientScreen ? 3 : 1);
          expect(count(screen, "● back after")).toBe(1);
          expect(screen).not.toMatch(new RegExp(`${literal("#")}\\d+ +✓`)); // no ✓ on a line of its own
        }
      } finally {
        relay.close();
      }
    });
  }, 120_000);
});
