/**
 * A violation of the wire protocol by the peer. The session answers it with an ERROR frame carrying
 * `message` and closes the connection; nothing else in the program treats it as a crash.
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
