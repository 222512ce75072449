/** The lines a stream carries, each with the time it arrived (performance.now()). */
export class StampedLines {
  readonly lines: { text: string; at: number }[] = [];
  private ended = false;
  private wake: () => void = () => {};

  constructor(stream: ReadableStream<Uint8Array>) {
    void this.read(stream);
  }

  /** The first line (from the start) that contains `text`. */
  async waitFor(text: string, timeoutMs: number): Promise<{ text: string; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.text.includes(text));
      if (found) return found;
      const left = deadline - performance.now();
      if (this.ended || left <= 0) {
        const seen = this.lines
          .slice(-20)
          .map((line) => line.text)
          .join(" | ");
        throw new Error(`no line with '${text}' within ${timeoutMs} ms; last seen: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const at = performance.now();
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const text of parts) this.lines.push({ text, at });
      this.wake();
    }
    this.ended = true;
    this.wake();
  }
}
