import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { DEFAULT_VERSION } from '../../src/source/releases.js'

// The default picolisp-version is named once in the code (src/source/releases.ts); what
// users read in action.yml and the README must say the same release.
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

test(`action.yml's picolisp-version default and example are ${DEFAULT_VERSION}`, () => {
  const input = actionInput()
  expect(capture(input, /^ {4}default: "([^"]*)"$/m, 'default in action.yml')).toBe(DEFAULT_VERSION)
  expect(capture(input, /\(e\.g\. (\d+\.\d+),/, 'example in the description')).toBe(DEFAULT_VERSION)
})

test(`the README's inputs table and quick start name ${DEFAULT_VERSION}`, () => {
  const readme = read('README.md')
  expect(
    capture(readme, /^\| `picolisp-version` \| `([^`]*)` \|/m, "README's inputs table default"),
  ).toBe(DEFAULT_VERSION)
  const quickStart = capture(readme, /^## Quick start\n([\s\S]*?)\n## /m, 'Quick start section')
  expect(capture(quickStart, /picolisp-version: '([^']*)'/, 'quick start version')).toBe(
    DEFAULT_VERSION,
  )
})
