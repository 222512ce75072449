import type { Channel } from "../core/channel.ts";
import type { ChannelKeys } from "./handshake.ts";
import { RecordOpener, type RecordOptions, RecordSealer } from "./records.ts";

/** Version 2's channel for one connection: the session's frames travel in AES-256-GCM records. */
export class SecureChannel implements Channel {
  readonly encrypted = true;
  /** Records are opened into fresh plaintext and sealed into fresh arrays. */
  readonly copies = true;
  private readonly sealer: RecordSealer;
  private readonly opener: RecordOpener;

  constructor(keys: ChannelKeys, options: RecordOptions = {}) {
    this.sealer = new RecordSealer(keys.send, options);
    this.opener = new RecordOpener(keys.receive, options);
  }

  open(chunk: Uint8Array, deliver: (plaintext: Uint8Array) => void): void {
    this.opener.open(chunk, deliver);
  }

  seal(frames: Uint8Array[]): Uint8Array[] {
    return [this.sealer.seal(frames)];
  }

  recycle(output: Uint8Array): void {
    this.sealer.recycle(output);
  }
}
