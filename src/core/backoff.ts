/** Reconnect delays (protocol-v2 section 3): from 0.25 s, doubling up to 4 s. */
export const FIRST_RECONNECT_DELAY_MS = 250;
export const MAX_RECONNECT_DELAY_MS = 4000;

/**
 * The delay before reconnect attempt `attempt` (1, 2, 3, …), with ±20 % jitter from `random` (0 ≤ r < 1),
 * so that many clients cut off at once do not come back in step.
 */
export function reconnectDelay(attempt: number, random: number): number {
  const nominal = Math.min(MAX_RECONNECT_DELAY_MS, FIRST_RECONNECT_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal * (0.8 + 0.4 * random));
}
