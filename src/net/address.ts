/** `ADDR:PORT` for display and for the JSON `peer` field; IPv6 in brackets, IPv4-mapped IPv6 shown as IPv4. */
export function formatAddress(address: string, port: number): string {
  const host = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
