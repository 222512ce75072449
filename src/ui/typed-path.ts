/**
 * The ways a path typed after `/send` may be meant, most literal first. People drag a file onto the
 * terminal, and terminals paste its path quoted (`'/home/me/My File.pdf'`), backslash-escaped
 * (`/Users/me/My\ File.pdf`) or as a `file://` URL; and they type `~/Downloads/x.pdf` as in a shell.
 * The front end sends the first of these that exists; when none does, the error names the text as typed.
 * Pure: `home` is the user's home folder (null when unknown: `~` is then left as it is).
 */
export function typedPathCandidates(text: string, home: string | null): string[] {
  const readings = [text, unquoted(text), quotesOff(text), unescaped(text), fromFileUrl(text)];
  const candidates: string[] = [];
  for (const reading of readings) {
    if (reading === null) continue;
    for (const path of [reading, withHome(reading, home)]) {
      if (path !== null && path !== "" && !candidates.includes(path)) candidates.push(path);
    }
  }
  return candidates;
}

/** `'…'` (with `'\''` for a quote inside, as shells write it) or `"…"` (with `\"` and `\\`), unwrapped. */
function unquoted(text: string): string | null {
  if (text.length < 2) return null;
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.at(-1) !== quote) return null;
  const inner = text.slice(1, -1);
  return quote === "'" ? inner.replaceAll("'\\''", "'") : inner.replace(/\\(["\\$`])/g, "$1");
}

/** Just the surrounding quotes off: Windows terminals quote a dropped path whose `\` are separators. */
function quotesOff(text: string): string | null {
  return /^(['"]).+\1$/s.test(text) ? text.slice(1, -1) : null;
}

/** Backslash escapes as a shell reads them outside quotes: `My\ File` → `My File`. */
function unescaped(text: string): string | null {
  return text.includes("\\") ? text.replace(/\\(.)/g, "$1") : null;
}

/** A `file://` URL's path, percent-decoded (`file:///tmp/a%20b` → `/tmp/a b`); null for anything else. */
function fromFileUrl(text: string): string | null {
  const match = /^file:\/\/(?:localhost)?(\/.*)$/i.exec(text);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return null;
  }
}

/** `~` or `~/…` at the start, as the home folder; null when there is none to expand. */
function withHome(path: string, home: string | null): string | null {
  if (home === null) return null;
  if (path === "~") return home;
  return path.startsWith("~/") ? `${home}${path.slice(1)}` : null;
}
