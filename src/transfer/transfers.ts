import type { Bytes } from "../protocol/bytes.ts";
import { flat } from "../protocol/bytes.ts";
import { FrameType, frameTypeName } from "../protocol/constants.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { Direction, TransferEvent } from "./events.ts";
import { parseAnswer, parseCancel, parseEntry, parseOffer, parseProgress, parseSum } from "./frames.ts";
import { IncomingTransfer } from "./incoming.ts";
import { CollectingOutbox } from "./outbox.ts";
import { OutgoingTransfer } from "./outgoing.ts";
import type { DiskAction, DiskResult, Listing } from "./types.ts";

/** A frame for the session to send: a file frame, its id (the transfer's) and payload. */
export interface OutgoingFrame {
  type: FrameType;
  id: number;
  payload: Uint8Array;
}

/**
 * All the file transfers of one session, both ways (protocol-v2 section 4): it takes the file frames the
 * session received and what the disk answered, and gives frames to send, disk actions and events for the
 * user. Pure, like the session it sits beside; it outlives a dropped connection with it, and a resume makes
 * each transfer say its last word again.
 *
 * Transfer ids count per sending direction: this side's offers are 1, 2, 3, …, and so are the peer's. A
 * frame's type says which direction it is about (the sender's frames are about a transfer the frame's
 * sender sends), and FILE_CANCEL says it with its `side`.
 */
export class Transfers {
  private readonly outgoing = new Map<number, OutgoingTransfer>();
  private readonly incoming = new Map<number, IncomingTransfer>();
  private lastOutId = 0;
  private readonly out = new CollectingOutbox();

  constructor(
    private readonly options: { autoAccept: boolean; autoDecline?: string } = { autoAccept: false },
  ) {}

  /** Offers `listing` to the peer; returns the transfer's id. The data flows once it is accepted. */
  offer(listing: Listing, now: number): number {
    const id = ++this.lastOutId;
    const transfer = new OutgoingTransfer(id, listing, this.out, now);
    this.outgoing.set(id, transfer);
    transfer.offer();
    this.out.event({
      type: "offer",
      transfer: transfer.summary(),
      firstEntries: listing.entries.slice(0, 5).map((e) => e.path),
    });
    return id;
  }

  /** Accepts an offer from the peer (by id; the only one waiting when omitted). False when there is none. */
  accept(id?: number): boolean {
    const transfer = this.waiting(id);
    transfer?.accept();
    return transfer !== null;
  }

  decline(id?: number, reason = "declined"): boolean {
    const transfer = this.waiting(id);
    transfer?.decline(reason);
    return transfer !== null;
  }

  /**
   * Cancels a transfer under way, either way: by id and direction, or the only one under way. Returns what
   * was cancelled, or null when nothing matched (or the choice is ambiguous: then name it).
   */
  cancel(
    target: { id?: number; direction?: Direction },
    reason = "cancelled",
  ): { id: number; direction: Direction } | null {
    const live = this.live().filter(
      (t) =>
        (target.id === undefined || t.id === target.id) &&
        (target.direction === undefined || t.direction === target.direction),
    );
    if (live.length !== 1) return null;
    const { id, direction } = live[0] as { id: number; direction: Direction };
    if (direction === "out") this.outgoing.get(id)?.cancel(reason);
    else this.incoming.get(id)?.cancel(reason);
    return { id, direction };
  }

  /** Transfers not yet ended, both ways, in id order (outgoing first). */
  live(): { id: number; direction: Direction; name: string; state: string }[] {
    const list: { id: number; direction: Direction; name: string; state: string }[] = [];
    for (const t of this.outgoing.values())
      if (!t.ended) list.push({ id: t.id, direction: "out", name: t.listing.name, state: t.state });
    for (const t of this.incoming.values())
      if (!t.ended) list.push({ id: t.id, direction: "in", name: t.offer.name, state: t.state });
    return list;
  }

  /** Offers from the peer waiting for this side's answer. */
  waitingOffers(): number[] {
    return [...this.incoming.values()].filter((t) => t.state === "offered").map((t) => t.id);
  }

  /**
   * A file frame the session received. Throws ProtocolError for a frame about a transfer never offered
   * (the session answers that with ERROR); anything else a transfer's rules forbid ends only that transfer.
   */
  onFrame(type: FrameType, id: number, payload: Bytes, now: number): void {
    const bytes = flat(payload);
    switch (type) {
      case FrameType.FILE_OFFER: {
        const known = this.incoming.get(id);
        if (known) {
          known.onOfferAgain();
          return;
        }
        const transfer = new IncomingTransfer(id, parseOffer(bytes), this.out);
        this.incoming.set(id, transfer);
        if (!transfer.start()) return;
        if (this.options.autoAccept) transfer.accept();
        else if (this.options.autoDecline !== undefined) transfer.decline(this.options.autoDecline);
        return;
      }
      case FrameType.FILE_ENTRY:
        this.receiving(type, id).onEntry(parseEntry(bytes), now);
        return;
      case FrameType.FILE_DATA:
        if (bytes.length === 0) throw new ProtocolError("an empty FILE_DATA");
        this.receiving(type, id).onData(bytes);
        return;
      case FrameType.FILE_SUM:
        this.receiving(type, id).onSum(parseSum(bytes), now);
        return;
      case FrameType.FILE_ANSWER:
        this.sending(type, id).onAnswer(parseAnswer(bytes), now);
        return;
      case FrameType.FILE_PROGRESS:
        this.sending(type, id).onProgress(parseProgress(bytes), now);
        return;
      case FrameType.FILE_DONE:
        this.sending(type, id).onDone(now);
        return;
      case FrameType.FILE_CANCEL: {
        const cancel = parseCancel(bytes);
        // side 0: a transfer the peer sends (one this side receives); 1: one the peer receives.
        if (cancel.side === 0) this.receiving(type, id).onCancel(cancel.reason);
        else this.sending(type, id).onCancel(cancel.reason);
        return;
      }
      default:
        throw new ProtocolError(`unexpected ${frameTypeName(type)}`);
    }
  }

  diskResult(result: DiskResult, now: number): void {
    const [direction, id] = result.key.split(":") as [Direction, string];
    const transfer = direction === "out" ? this.outgoing.get(Number(id)) : this.incoming.get(Number(id));
    if (!transfer) return;
    if (result.kind === "hashing") {
      // A long check of a held part (a resume): news for the user, nothing for the transfer itself.
      if (!transfer.ended) {
        this.out.event({
          type: "checking",
          transfer: transfer.summary(),
          done: result.done,
          total: result.total,
        });
      }
      return;
    }
    transfer.diskResult(result, now);
  }

  /**
   * Lets the outgoing transfers write file frames worth up to `budget` bytes, one transfer at a time in the
   * order they were offered (a queue: the first accepted sends until it is done). Returns the bytes written.
   */
  pull(budget: number, now: number): number {
    let used = 0;
    for (const transfer of this.outgoing.values()) {
      if (used >= budget) break;
      if (!transfer.sending) continue;
      used += transfer.pull(budget - used, now);
      if (transfer.sending) break; // still going (or waiting for its window or the disk): the next waits
    }
    return used;
  }

  /** Whether a pull could write something now. */
  ready(now: number): boolean {
    for (const transfer of this.outgoing.values()) {
      if (transfer.sending) return transfer.ready(now);
    }
    return false;
  }

  /** The connection dropped (the session is held for a resume). */
  suspended(): void {
    for (const t of this.outgoing.values()) if (!t.ended) t.suspended();
    for (const t of this.incoming.values()) t.suspended();
  }

  /** A resume completed: each transfer says its last word again. */
  resumed(): void {
    for (const t of this.outgoing.values()) t.resumed();
  }

  /** The session is over: nothing more can be said; incoming parts are kept. */
  sessionEnded(): void {
    for (const t of this.incoming.values()) t.sessionEnded();
  }

  takeFrames(): OutgoingFrame[] {
    const frames = this.out.frames;
    if (frames.length > 0) this.out.frames = [];
    return frames;
  }

  takeActions(): DiskAction[] {
    const actions = this.out.actions;
    if (actions.length > 0) this.out.actions = [];
    return actions;
  }

  takeEvents(): TransferEvent[] {
    const events = this.out.events;
    if (events.length > 0) this.out.events = [];
    return events;
  }

  private waiting(id?: number): IncomingTransfer | null {
    if (id !== undefined) {
      const transfer = this.incoming.get(id);
      return transfer?.state === "offered" ? transfer : null;
    }
    const offered = [...this.incoming.values()].filter((t) => t.state === "offered");
    return offered.length === 1 ? (offered[0] as IncomingTransfer) : null;
  }

  private receiving(type: FrameType, id: number): IncomingTransfer {
    const transfer = this.incoming.get(id);
    if (!transfer)
      throw new ProtocolError(`${frameTypeName(type)} for transfer ${id}, which was never offered`);
    return transfer;
  }

  private sending(type: FrameType, id: number): OutgoingTransfer {
    const transfer = this.outgoing.get(id);
    if (!transfer)
      throw new ProtocolError(`${frameTypeName(type)} for transfer ${id}, which this side never offered`);
    return transfer;
  }
}
