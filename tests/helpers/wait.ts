/** Polls `condition` until it holds; throws, naming `what`, if it does not within `timeoutMs` (a safety bound). */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  { timeoutMs = 10_000, everyMs = 20 } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await Bun.sleep(everyMs);
  }
}
