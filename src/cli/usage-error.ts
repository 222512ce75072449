/** A mistake on the command line or in the environment: one line of explanation, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";

  constructor(message: string) {
    // The message quotes what was typed (or set in the environment); a control character in it must neither
    // break the one line nor reach the terminal as a control.
    super(message.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
