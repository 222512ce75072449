import type { ChatLink, ChatView } from "../core/chat.ts";
import type { TransferEvent } from "../transfer/events.ts";

/**
 * `--send PATH` for scripts: once the (first) session opens, PATH is offered; when the receiver reports it
 * done the session is closed and `finished(0)` called, and on a decline, a cancel or a failure `finished(1)`.
 * It wraps the front end: everything still goes to it, and it sees what it needs on the way.
 */
export function sendOnConnect<V extends ChatView & { error(message: string): void }>(
  view: V,
  path: string,
  finished: (code: number) => void,
): V {
  let started = false;
  let id: number | null = null;
  let over = false;
  const finish = (link: ChatLink, code: number) => {
    if (over) return;
    over = true;
    link.close(code === 0 ? "the file was delivered" : "the file was not delivered");
    finished(code);
  };
  return new Proxy(view, {
    get(target, property, receiver) {
      if (property === "connected") {
        return (link: ChatLink) => {
          target.connected(link);
          if (started) return;
          started = true;
          if (!link.files) {
            target.error("--send needs encryption: files are not sent with --no-encryption");
            finish(link, 1);
            return;
          }
          void link.files.send(path).then((result) => {
            if (result.ok) id = result.id;
            else {
              // The listing's reasons say "cannot send …" themselves; others need the path.
              const said = result.error.startsWith("cannot send");
              target.error(said ? result.error : `cannot send ${path}: ${result.error}`);
              finish(link, 1);
            }
          });
        };
      }
      if (property === "ended") {
        return (link: ChatLink, end: Parameters<ChatView["ended"]>[1]) => {
          // The session ended before the receiver had it all: not delivered.
          if (started && !over) {
            over = true;
            finished(1);
          }
          target.ended(link, end);
        };
      }
      if (property === "fileEvent") {
        return (link: ChatLink, event: TransferEvent) => {
          target.fileEvent(link, event);
          if (event.transfer.direction !== "out" || event.transfer.id !== id) return;
          if (event.type === "done") finish(link, 0);
          else if (event.type === "cancelled") finish(link, 1);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as V;
}
