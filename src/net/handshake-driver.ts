import type { ChannelUp, ClientHandshake, HandshakeFailure, ServerHandshake } from "../secure/handshake.ts";
import type { ClientHello } from "../secure/hello.ts";
import type { Connection, ConnectionUser } from "./connection.ts";
import { DeadlineTimer, now } from "./deadline-timer.ts";
import { describeClose } from "./errors.ts";

/** What a handshake reports to its owner. */
export interface HandshakeOwner<H extends ClientHandshake | ServerHandshake> {
  /** Server: a valid HELLO arrived; the owner calls `answer` when its turn comes. */
  hello?(driver: HandshakeDriver<H>, hello: ClientHello): void;
  /** The channel is up: the owner attaches a session to the connection (the driver has let go of it). */
  up(driver: HandshakeDriver<H>, channel: ChannelUp): void;
  /** The handshake failed; its ERROR, if any, is flushed and the connection closed. */
  failed(driver: HandshakeDriver<H>, failure: HandshakeFailure): void;
}

/**
 * Drives one connection's version-2 handshake (a pure state machine) with the real socket and a timer,
 * until the channel is up or the handshake has failed.
 */
export class HandshakeDriver<H extends ClientHandshake | ServerHandshake> implements ConnectionUser {
  private readonly timer = new DeadlineTimer(() => {
    this.handshake.tick(now());
    this.pump();
  });

  constructor(
    readonly connection: Connection,
    readonly handshake: H,
    private readonly owner: HandshakeOwner<H>,
  ) {
    connection.use(this);
    this.pump();
  }

  /** Server: answers the waiting HELLO with the PRS (the normalized code, or the resume secret). */
  answer(prs: Uint8Array): void {
    (this.handshake as ServerHandshake).answer(prs, now());
    this.pump();
  }

  received(chunk: Uint8Array): void {
    this.handshake.receive(chunk, now());
    this.pump();
  }

  drained(): void {}

  socketClosed(error?: Error): void {
    this.handshake.connectionLost(describeClose(error));
    this.pump();
  }

  private pump(): void {
    // The handshake's own frames (a CONFIRM) go out before anything the session writes once it is up.
    this.connection.write(this.handshake.takeOutput());
    for (const event of this.handshake.takeEvents()) {
      switch (event.type) {
        case "hello":
          this.owner.hello?.(this, event.hello);
          break;
        case "up":
          this.timer.clear();
          this.connection.use(null);
          this.owner.up(this, event.channel);
          return;
        case "failed":
          this.timer.clear();
          this.connection.use(null);
          this.connection.end();
          this.owner.failed(this, event.failure);
          return;
      }
    }
    this.timer.set(this.handshake.deadline());
  }
}
