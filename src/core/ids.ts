import { MAX_U32 } from "../protocol/constants.ts";

/** Message and PING ids count 1, 2, 3, …; after 2^32 − 1 they start again at 1 (0 is never an id). */
export const nextId = (id: number): number => (id === MAX_U32 ? 1 : id + 1);

/** The id before `id` in that count (the one before 1 is 2^32 − 1). */
export const previousId = (id: number): number => (id <= 1 ? MAX_U32 : id - 1);
