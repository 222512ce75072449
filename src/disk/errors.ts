/** The `code` of a Node-style system error (`ENOENT`, `ENOSPC`, …), or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The reason a failed action gives when the disk (or the user's quota on it) is full. */
export const DISK_FULL = "receiver's disk is full";

/** Whether `error` says there is no room left: no space on the device, or the user's quota is used up. */
export function isDiskFull(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOSPC" || code === "EDQUOT";
}
