import { expect, test } from "bun:test";
import { stdinChunks } from "../../src/app/front-end.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += new TextDecoder().decode(chunk);
  return text;
}

async function* from(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield bytes(piece);
}

test("Bun's stream is read when it opens", async () => {
  const text = await collect(
    stdinChunks(
      () => from("a\n", "b\n"),
      () => from("fallback"),
    ),
  );
  expect(text).toBe("a\nb\n");
});

test("a stream that cannot be opened (EBADF under Wine) falls back to process.stdin's stream", async () => {
  const ebadf = Object.assign(new Error("EBADF: bad file descriptor, open"), { code: "EBADF" });
  const text = await collect(
    stdinChunks(
      () => {
        throw ebadf;
      },
      () => from("from ", "the fallback\n"),
    ),
  );
  expect(text).toBe("from the fallback\n");
});

test("a stream that fails on its first read falls back too, losing nothing", async () => {
  const failing: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new Error("EBADF: bad file descriptor, open")),
    }),
  };
  expect(
    await collect(
      stdinChunks(
        () => failing,
        () => from("x\n"),
      ),
    ),
  ).toBe("x\n");
});

test("an empty input is empty, without touching the fallback", async () => {
  let fellBack = false;
  const text = await collect(
    stdinChunks(
      () => from(),
      () => {
        fellBack = true;
        return from("no");
      },
    ),
  );
  expect(text).toBe("");
  expect(fellBack).toBe(false);
});

test("the default fallback reads a real pipe on descriptor 0 (process.stdin fails like Bun's under Wine)", async () => {
  // A child process whose stdin is a pipe, with Bun's stream made to fail: what it reads is the fallback's.
  const module = new URL("../../src/app/front-end.ts", import.meta.url).pathname;
  const script = `
    import { stdinChunks } from ${JSON.stringify(module)};
    let text = "";
    const failing = () => { throw Object.assign(new Error("EBADF: bad file descriptor, open"), { code: "EBADF" }); };
    for await (const chunk of stdinChunks(failing)) text += new TextDecoder().decode(chunk);
    process.stdout.write(JSON.stringify(text));
  `;
  const child = Bun.spawn([process.execPath, "-e", script], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  child.stdin.write("through the fallback\nsecond line\n");
  child.stdin.end();
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(code).toBe(0);
  expect(JSON.parse(out)).toBe("through the fallback\nsecond line\n");
});
