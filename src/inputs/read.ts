import * as core from '@actions/core'
import { InputError } from './input-error.js'

/**
 * How every phase reads its inputs: a function from name to raw value. The
 * action passes `actionInput`; tests and the local CLI pass their own.
 */
export type InputReader = (name: string) => string

export const actionInput: InputReader = (name) => core.getInput(name)

/** The value without surrounding white space; '' when unset. */
export function text(read: InputReader, name: string): string {
  return read(name).trim()
}

/** One item a line, trimmed; empty lines and `#` comments left out. */
export function lines(read: InputReader, name: string): string[] {
  return read(name)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** The YAML 1.2 core booleans core.getBooleanInput accepts; unset gives `fallback`. */
export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback
  if (/^(true|True|TRUE)$/.test(value)) return true
  if (/^(false|False|FALSE)$/.test(value)) return false
  throw InputError.invalid(name, 'must be true or false', value)
}

export function boolean(read: InputReader, name: string, fallback: boolean): boolean {
  return parseBoolean(name, text(read, name), fallback)
}
