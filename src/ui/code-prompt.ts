import { isCancel, TextPrompt } from "@clack/core";
import { S_BAR, S_BAR_END, symbol } from "@clack/prompts";
import pc from "picocolors";
import { codeHint, codeProblem, completeCode } from "./code-entry.ts";

/**
 * The code prompt, in clack's style: a text input whose hint line completes and checks the words as they
 * are typed (Tab completes), and which refuses to submit a code with a word that is not on the list.
 */
class CodePrompt extends TextPrompt {
  constructor(message: string) {
    super({
      validate: (value) => codeProblem(value ?? "") ?? undefined,
      render() {
        const title = `${pc.gray(S_BAR)}\n${symbol(this.state)}  ${message}\n`;
        const typed = this.userInput ? (this as TextPrompt).userInputWithCursor : pc.inverse(pc.hidden("_"));
        switch (this.state) {
          case "submit":
            return `${title}${pc.gray(S_BAR)}  ${pc.dim(this.userInput)}`;
          case "cancel":
            return `${title}${pc.gray(S_BAR)}  ${pc.strikethrough(pc.dim(this.userInput))}`;
          case "error":
            return `${title}${pc.yellow(S_BAR)}  ${typed}\n${pc.yellow(S_BAR_END)}  ${pc.yellow(this.error)}\n`;
          default: {
            const hint = codeHint(this.userInput);
            const line = hint.warning ? pc.yellow(hint.text) : pc.dim(hint.text);
            return `${title}${pc.cyan(S_BAR)}  ${typed}\n${pc.cyan(S_BAR_END)}  ${line}\n`;
          }
        }
      },
    });
    this.on("key", (_char, key) => {
      if (key?.name !== "tab") return;
      const completed = completeCode(this.userInput);
      if (completed === this.userInput) return;
      this._clearUserInput();
      this._setUserInput(completed, true);
    });
  }
}

/** Asks for the code; null when the user cancels (Ctrl-C, Esc). */
export async function askCode(message = "Code shown by the server"): Promise<string | null> {
  const answer = await new CodePrompt(message).prompt();
  return isCancel(answer) || answer === undefined ? null : answer;
}
