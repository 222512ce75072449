import { DirectionLedger } from "./ledger.ts";

export type Side = "server" | "client";
export type ProgramEvent = { event: string } & Record<string, unknown>;

/**
 * Routes the two programs' events into the two directions' ledgers: a `sent` or `ack` belongs to the
 * direction its program sends in, a `message` to the one it receives in. Other events are kept by name
 * (they are few: listening, connected, disconnected; with chaos, connection-lost, reconnecting and resumed
 * too), and any `error` event is a problem.
 */
export class SoakBooks {
  readonly toServer: DirectionLedger;
  readonly toClient: DirectionLedger;
  readonly problems: string[] = [];
  private readonly others = {
    server: new Map<string, ProgramEvent[]>(),
    client: new Map<string, ProgramEvent[]>(),
  };

  constructor(expectedPerDirection: number) {
    this.toServer = new DirectionLedger("client → server", expectedPerDirection);
    this.toClient = new DirectionLedger("server → client", expectedPerDirection);
  }

  get directions(): [DirectionLedger, DirectionLedger] {
    return [this.toServer, this.toClient];
  }

  /** The ledger of the messages `side` sends. */
  outgoing(side: Side): DirectionLedger {
    return side === "client" ? this.toServer : this.toClient;
  }

  record(side: Side, event: ProgramEvent): void {
    switch (event.event) {
      case "sent":
        this.outgoing(side).onSent(event.id as number, event.bytes as number);
        return;
      case "ack":
        if (typeof event.rtt_ms === "number") this.outgoing(side).onAck(event.id as number, event.rtt_ms);
        else if (event.before_drop === true) this.outgoing(side).onAck(event.id as number, null);
        else
          this.problems.push(`${side}: an ack without a round trip or before_drop: ${JSON.stringify(event)}`);
        return;
      case "message": {
        const payload =
          typeof event.base64 === "string"
            ? Buffer.from(event.base64, "base64")
            : Buffer.from(String(event.text), "utf8");
        if (payload.length !== event.bytes) {
          this.problems.push(
            `${side}: message ${event.id} says ${event.bytes} bytes, carries ${payload.length}`,
          );
        }
        this.outgoing(side === "client" ? "server" : "client").onMessage(event.id as number, payload);
        return;
      }
      case "error":
        this.problems.push(`${side} reported an error: ${event.message}`);
        break;
    }
    const list = this.others[side].get(event.event) ?? [];
    list.push(event);
    this.others[side].set(event.event, list);
  }

  /** The `name` events (not sent/ack/message) `side` has emitted so far. */
  events(side: Side, name: string): ProgramEvent[] {
    return this.others[side].get(name) ?? [];
  }

  /** Every message written has been sent, delivered byte for byte and acknowledged, both ways. */
  get settled(): boolean {
    return this.toServer.settled && this.toClient.settled;
  }

  get acked(): number {
    return this.toServer.acked + this.toClient.acked;
  }

  get written(): number {
    return this.toServer.written + this.toClient.written;
  }

  get writtenBytes(): number {
    return this.toServer.writtenBytes + this.toClient.writtenBytes;
  }
}
