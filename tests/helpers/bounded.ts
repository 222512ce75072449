/**
 * The exit status of a program the test expects to end by itself, or a failure after `timeoutMs`: a program
 * that hangs fails the test with a clear message (and its `finally` still runs) instead of running into the
 * test runner's timeout.
 */
export async function exitOf(program: { exited: Promise<number> }, timeoutMs = 10_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the program did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([program.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
