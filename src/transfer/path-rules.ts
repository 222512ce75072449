/**
 * The receiver's rules for names that come from the other side (protocol-v2 section 4). A hostile sender
 * chooses every byte of a FILE_ENTRY's path: nothing in it may make this side create, open or follow
 * anything outside the download folder, write over what is there, or put control sequences on a terminal.
 * Pure functions of the text; the disk adapter applies them before it touches anything.
 */

const utf8 = new TextEncoder();

/** A path component longer than this (in UTF-8 bytes) is refused; most file systems stop at 255. */
export const MAX_COMPONENT_BYTES = 200;

/** Windows' reserved device names: with any extension (`con.txt`) and in any case they name a device. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)$/i;

/** Unicode's bidirectional controls: they make a name read differently from what it is. */
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters (Unicode Cc) is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Why `component` may not be a file or folder name here, or null when it may. */
export function componentProblem(component: string): string | null {
  if (component === "") return "an empty name";
  if (component === "." || component === "..") return `the name "${component}"`;
  if (utf8.encode(component).length > MAX_COMPONENT_BYTES)
    return `a name longer than ${MAX_COMPONENT_BYTES} bytes`;
  if (component.includes("/") || component.includes("\\")) return "a name with a slash";
  if (component.includes(":")) return "a name with a colon";
  if (CONTROL.test(component)) return "a name with a control character";
  if (BIDI.test(component)) return "a name with a bidirectional control";
  // Windows drops trailing dots and spaces, so `con.` and `name ` would alias other names there.
  if (/[. ]$/.test(component)) return "a name that ends with a dot or a space";
  const base = component.split(".")[0] as string;
  if (RESERVED.test(base)) return "a reserved device name";
  return null;
}

/**
 * The components of an entry's path, checked: relative, `/`-separated, every component allowed, and the
 * first one the transfer's name. Throws PathRuleError with the reason otherwise.
 */
export function entryComponents(path: string, transferName: string): string[] {
  if (path.startsWith("/")) throw new PathRuleError("an absolute path");
  const components = path.split("/");
  for (const component of components) {
    const problem = componentProblem(component);
    if (problem) throw new PathRuleError(problem);
  }
  if (components[0] !== transferName) {
    throw new PathRuleError("a path outside the transfer (it must start with the offered name)");
  }
  return components;
}

export class PathRuleError extends Error {
  override name = "PathRuleError";
}

/**
 * The name for the n-th clash of `name` (n ≥ 1): ` (n)` before the last extension (`report (1).pdf`,
 * `a.tar (1).gz`), or at the end when there is no dot after the first character (`.bashrc (1)`,
 * `Makefile (1)`). Folders are renamed the same way.
 */
export function clashName(name: string, n: number): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/** Where a file's data waits until its SHA-256 matched: `NAME.121chat-part`. */
export const PART_SUFFIX = ".121chat-part";

/**
 * Permission bits kept: no set-uid, set-gid or sticky bit, and no write for group or others; the executable
 * bits stay. A folder is also always the user's to enter and write in (its contents are written into it).
 */
export function safeMode(mode: number, kind: "file" | "folder"): number {
  const kept = mode & 0o755;
  return kind === "folder" ? kept | 0o700 : kept;
}
