/**
 * Test-only driver for the status line (tests/interactive/status-line.test.ts): the real InteractiveView in
 * a terminal, with a stand-in for the network. The program sets the status for an outage and for running
 * transfers; this script sets it directly (InteractiveView.setStatus), with texts of its own and far more
 * often, while it prints messages "from the peer" and the user types.
 *
 * It delivers MESSAGES messages, one every MESSAGE_EVERY_MS, and sets or clears the status every
 * STATUS_EVERY_MS meanwhile (far more often than the screen shows it). After the last message it sets the
 * status to "status: all N delivered, …", with an erase-screen sequence in it. A line the user sends is acknowledged like a peer would, but only
 * after ACK_AFTER_MS, so that the user can be typing again when the ✓ comes; the first ACK also clears the
 * status. Ctrl-C or Ctrl-D ends it.
 *
 * Usage: bun status-driver.ts [messages]
 */
import type { ChatLink, DeliveryEvent } from "../../../src/core/chat.ts";
import { InteractiveView } from "../../../src/ui/interactive.ts";

const MESSAGES = Number(process.argv[2] ?? 10);
const MESSAGE_EVERY_MS = 150;
const STATUS_EVERY_MS = 20;
const ACK_AFTER_MS = 1000;

const encoder = new TextEncoder();
let nextId = 1;
let acked = 0;

const view = new InteractiveView({
  role: "server",
  color: true,
  quit: () => {
    view.close();
    process.exit(0);
  },
});

const link: ChatLink = {
  encrypted: false,
  suspended: false,
  files: null,
  peer: "stand-in peer",
  peerMaxMessage: 1 << 20,
  bufferedBytes: 0,
  unackedCount: 0,
  send(payload) {
    const id = nextId++;
    setTimeout(() => {
      view.delivered(link, [{ type: "ack", id, bytes: payload.length, rttMs: 0.5, deliveredAfterMs: null }]);
      if (++acked === 1) view.clearStatus();
    }, ACK_AFTER_MS);
    return { ok: true, id };
  },
  close() {},
  stats: () => ({ sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, acked: 0, unacked: 0, rtt: null }),
  unacked: () => [],
  pauseReading() {},
  resumeReading() {},
};

view.connected(link);
view.start();

let delivered = 0;
let updates = 0;
const statusTimer = setInterval(() => {
  updates++;
  if (updates % 3 === 0) view.clearStatus();
  else view.setStatus(`status: update ${updates}, ${delivered} of ${MESSAGES} delivered`);
}, STATUS_EVERY_MS);

const messageTimer = setInterval(() => {
  delivered++;
  const text = `peer message ${delivered} of ${MESSAGES}, long enough to wrap in a terminal sixty columns wide`;
  const event: DeliveryEvent = { type: "message", id: delivered, payload: encoder.encode(text) };
  view.delivered(link, [event]);
  if (delivered === MESSAGES) {
    clearInterval(messageTimer);
    clearInterval(statusTimer);
    // With a name as a peer could send it (a file's, say): its escape sequence must not reach the terminal.
    view.setStatus(`status: all ${MESSAGES} delivered, the last from "\x1b[2J\x1b[Hpeer"`);
  }
}, MESSAGE_EVERY_MS);
