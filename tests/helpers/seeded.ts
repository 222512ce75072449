/**
 * A small seeded random generator (mulberry32): numbers in [0, 1), the same sequence for the same seed, so a
 * run that failed can be repeated with the seed it printed.
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for a run: 0 to 2^31 - 1. */
export const newSeed = (): number => Math.floor(Math.random() * 2 ** 31);
