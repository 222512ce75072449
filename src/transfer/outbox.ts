import type { FrameType } from "../protocol/constants.ts";
import type { TransferEvent } from "./events.ts";
import type { DiskAction } from "./types.ts";

/** How a transfer says what it has to say: frames to the peer, actions to the disk, events to the user. */
export interface Outbox {
  frame(type: FrameType, id: number, payload?: Uint8Array): void;
  action(action: DiskAction): void;
  event(event: TransferEvent): void;
}

/** Everything said since the last take, in order. */
export class CollectingOutbox implements Outbox {
  frames: { type: FrameType; id: number; payload: Uint8Array }[] = [];
  actions: DiskAction[] = [];
  events: TransferEvent[] = [];

  frame(type: FrameType, id: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.frames.push({ type, id, payload });
  }

  action(action: DiskAction): void {
    this.actions.push(action);
  }

  event(event: TransferEvent): void {
    this.events.push(event);
  }
}
