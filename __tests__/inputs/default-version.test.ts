import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { DEFAULT_VERSION } from '../../src/inputs/releases.js'

// The default picolisp-version is named once, in src/inputs/releases.ts: action.yml
// gives no default of its own, and the README's quick start, which users copy,
// pins that release.
const REPO = path.resolve(import.meta.dirname, '..', '..')
const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8')

/** The lines of action.yml's `picolisp-version:` input, up to the next input. */
function actionInput(): string {
  const match = /^ {2}picolisp-version:\n((?: {4}.*\n)+)/m.exec(read('action.yml'))
  if (!match) throw new Error('action.yml has no inputs.picolisp-version block')
  return match[1]
}

/** The first capture of `pattern` in `text`, or an error naming what was looked for. */
function capture(text: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(text)
  if (!match) throw new Error(`no ${what} found (looked for ${pattern})`)
  return match[1]
}

test("action.yml leaves picolisp-version's default to the code", () => {
  const input = actionInput()
  expect(input).not.toMatch(/^ {4}default:/m)
  expect(input).not.toMatch(/\d{2}\.\d{1,2}\b(?!\.tgz)/)
})

test(`the README's quick start pins ${DEFAULT_VERSION}`, () => {
  const readme = read('README.md')
  const quickStart = capture(readme, /^## Quick start\n([\s\S]*?)\n## /m, 'Quick start section')
  expect(capture(quickStart, /picolisp-version: '([^']*)'/, 'quick start version')).toBe(
    DEFAULT_VERSION,
  )
})
