import { expect, test } from 'vitest'
import { parseSysrootSources, readBuildInputs } from '../../src/inputs/build-inputs.js'

// Input 'sysroot-sources': where a cross build's sysroot packages come from.

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? ''

test('unset means the runner release’s own archive', () => {
  expect(readBuildInputs(reader({})).sysrootSources).toBeUndefined()
})

test('takes apt source lines, one a line, comments left out', () => {
  const inputs = readBuildInputs(
    reader({
      'sysroot-sources':
        '# our mirror\n' +
        'deb [arch=arm64 signed-by=/k.gpg] http://mirror.example/ubuntu-ports noble main\n' +
        'deb http://mirror.example/ubuntu-ports noble-updates main universe\n',
    }),
  )
  expect(inputs.sysrootSources).toEqual([
    'deb [arch=arm64 signed-by=/k.gpg] http://mirror.example/ubuntu-ports noble main',
    'deb http://mirror.example/ubuntu-ports noble-updates main universe',
  ])
})

test('refuses a line that is not an apt source, quoting it', () => {
  expect(() => parseSysrootSources(['http://mirror.example/debian bookworm main'])).toThrow(
    "Input 'sysroot-sources': must be apt source lines like 'deb [signed-by=<keyring>] <uri> <suite> main', got 'http://mirror.example/debian bookworm main'.",
  )
  expect(() => parseSysrootSources(['deb http://mirror.example/debian'])).toThrow(
    /Input 'sysroot-sources': must be apt source lines/,
  )
})
