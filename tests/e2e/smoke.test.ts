import { expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";

test("a client and a server exchange a message both ways, with acks", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await client.waitFor((e) => e.event === "connected");
    client.write("hello\n");
    const ack = await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(typeof ack.rtt_ms).toBe("number");
    expect(await server.waitFor((e) => e.event === "message")).toMatchObject({
      id: 1,
      bytes: 5,
      text: "hello",
    });
    server.write("hi back\n");
    expect(await client.waitFor((e) => e.event === "message")).toMatchObject({ id: 1, text: "hi back" });
    await server.waitFor((e) => e.event === "ack" && e.id === 1);
    client.endInput();
    expect(await client.exited).toBe(0);
    await server.waitFor((e) => e.event === "disconnected");
  } finally {
    await client.stop();
    await server.stop();
  }
});
