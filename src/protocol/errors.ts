/**
 * A violation of the wire protocol by the peer. The session answers it with an ERROR frame carrying
 * `message` and closes the connection; nothing else in the program treats it as a crash.
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * Received bytes that failed the channel's integrity check (version 2: a record that does not authenticate,
 * or an impossible record length). Nothing of them may be used; the connection is dropped without a word,
 * since anything said on it could be the attacker's to read or to cut.
 */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}
