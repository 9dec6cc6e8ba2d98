/**
 * Errors a user can cause (a bad file, a bad flag, a missing frame) are `UserError`s: the CLI prints
 * their message as one line and exits with code 2, without a stack trace. Everything else is a bug and
 * keeps its stack.
 *
 * Messages name the file, the place in it (entry, line, field) and what was expected, e.g.
 *   `annotations/train/seq1.json: metadata["1_abc"].xy: expected [2, x, y, w, h], got [2, 1, 2]`
 */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    // one line whatever the message quotes: a parser's error echoes the file's text, newlines included
    // (JSON.parse on a pretty-printed config; found by test/hardening/fuzz-readers.test.ts)
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
    this.name = 'UserError';
  }
}

/** Throws a UserError naming `file` (and optionally a location inside it). */
export function fail(file: string, where: string | undefined, message: string): never {
  throw new UserError(where ? `${file}: ${where}: ${message}` : `${file}: ${message}`);
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
