/** Waits until what was written to stdout and stderr has been handed to the OS, then exits. */
export async function exitAfterFlush(code: number): Promise<never> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      try {
        if (!stream.write("", () => resolve())) stream.once("drain", () => resolve());
      } catch {
        resolve(); // a stream whose reader has gone (EPIPE) has nothing more to flush
      }
    });
  await Promise.race([Promise.all([flushed(process.stdout), flushed(process.stderr)]), Bun.sleep(2000)]);
  process.exit(code);
}

/** Calls `handler` on SIGINT and SIGTERM (a second signal exits at once). */
export function onTerminationSignal(handler: () => void): void {
  let signalled = false;
  const handle = () => {
    if (signalled) process.exit(130);
    signalled = true;
    handler();
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
