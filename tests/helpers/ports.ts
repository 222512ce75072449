/**
 * A loopback port on which nothing listens: one the system just handed out and that was closed again.
 * (Another process could take it in between; on a machine shared by tests that is rare enough.)
 */
export function closedPort(hostname = "127.0.0.1"): number {
  const listener = Bun.listen({ hostname, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
