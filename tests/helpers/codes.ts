import { generateCode, normalizeCode } from "../../src/secure/code.ts";
import type { JsonEvent, JsonProgram } from "./program.ts";

/** Environment for a server that draws its own code (none given): it reports it in `listening` and `code`. */
export const NO_CODE = { CHAT121_CODE: "" };

/** The code a JSON server shows now: its last `code` event, else the one in `listening`. */
export function currentCode(server: JsonProgram): string {
  const changes = server.events.filter((e) => e.event === "code" || e.event === "listening");
  const code = (changes.at(-1) as JsonEvent | undefined)?.code;
  if (typeof code !== "string") throw new Error(`the server shows no code: ${JSON.stringify(server.events)}`);
  return code;
}

/** The `code` events (the code changed) so far. */
export const codeChanges = (server: JsonProgram): JsonEvent[] =>
  server.events.filter((e) => e.event === "code");

/** A valid code (three words of the list) that is not `code`: a wrong guess a user could type. */
export function otherCode(code: string): string {
  for (;;) {
    const guess = generateCode();
    if (normalizeCode(guess) !== normalizeCode(code)) return guess;
  }
}
