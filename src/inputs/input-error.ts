/**
 * Input that cannot work. Every message has one shape, `Input '<name>': <what
 * is wrong, and what would be right>`, so a user finds the line to change.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}': ${problem}`)
    this.name = 'InputError'
  }

  /** A value of the wrong form: what the input must be, and what it was. */
  static invalid(input: string, mustBe: string, got: string): InputError {
    return new InputError(input, `${mustBe}, got ${shown(got)}.`)
  }
}

/** A value as the user typed it, quoted; JSON-escaped when it holds quotes or control characters. */
export function shown(value: string): string {
  return /^[^'\p{Cc}]*$/u.test(value) ? `'${value}'` : JSON.stringify(value)
}
