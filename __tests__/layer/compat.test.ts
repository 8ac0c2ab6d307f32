import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { compareVersions } from '../../src/common/versions.js'
import { checkCompatibility, compatProblems, parseReadelf } from '../../src/layer/compat.js'

let dir: string

/** Compiles a C program with the system compiler, as the layer's binaries are. */
function compile(name: string, source: string, libraries: string[] = []): string {
  const file = path.join(dir, name)
  execFileSync('cc', ['-x', 'c', '-o', file, '-', ...libraries], { input: source })
  return file
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compat-'))
})

test('versions compare numerically', () => {
  expect(compareVersions('2.35', '2.34')).toBeGreaterThan(0)
  expect(compareVersions('2.3.4', '2.34')).toBeLessThan(0)
  expect(compareVersions('2.34', '2.34')).toBe(0)
  expect(compareVersions('2.2.5', '2.34')).toBeLessThan(0)
})

test('readelf output gives needed libraries and versioned glibc symbols', () => {
  const needs = parseReadelf(
    [
      ' 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libffi.so.8]',
      '     7: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND dlerror@GLIBC_2.34 (3)',
      '     9: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@GLIBC_2.2.5 (2)',
      '    10: 0000000000401000    10 FUNC    GLOBAL DEFAULT   12 main',
    ].join('\n'),
  )
  expect(needs.libraries).toEqual(['libc.so.6', 'libffi.so.8'])
  expect(needs.glibcSymbols).toEqual([
    { symbol: 'dlerror', version: '2.34' },
    { symbol: 'memcpy', version: '2.2.5' },
  ])
})

test('a library outside the base image passes only when shipped in the layer lib folder', () => {
  const needs = { libraries: ['libcrypt.so.1'], glibcSymbols: [] }
  expect(compatProblems('x', needs, new Set())).toEqual([
    expect.stringMatching(
      /x needs libcrypt\.so\.1, which provided\.al2023 does not have: list that library in input 'shared-libraries'/,
    ),
  ])
  expect(compatProblems('x', needs, new Set(['libcrypt.so.1']))).toEqual([])
})

test('Debian 12 PicoLisp, built with glibc 2.36, needs nothing newer than 2.34', async () => {
  await expect(
    checkCompatibility([{ name: 'picolisp', source: '/usr/bin/picolisp' }], new Set()),
  ).resolves.toBeUndefined()
})

test('a real binary that needs a newer glibc symbol is refused with the symbol named', async () => {
  // arc4random arrived in glibc 2.36 (Debian 12), after provided.al2023's 2.34.
  const binary = compile(
    'new-glibc',
    '#include <stdlib.h>\nint main(void){return (int)arc4random();}\n',
  )
  await expect(
    checkCompatibility([{ name: 'bin/tool', source: binary }], new Set()),
  ).rejects.toThrow(
    /bin\/tool needs arc4random@GLIBC_2\.36, newer than provided\.al2023's glibc 2\.34\. .*arc4random has none, so build on a system with glibc 2\.34 or older/,
  )
})

test('a real binary linked to a library AL2023 lacks is refused with the library named', async () => {
  const binary = compile(
    'uses-crypt',
    '#include <crypt.h>\nint main(void){return crypt("a","ab")!=0;}\n',
    ['-lcrypt'],
  )
  await expect(
    checkCompatibility([{ name: 'bin/tool', source: binary }], new Set()),
  ).rejects.toThrow(/bin\/tool needs libcrypt\.so\.1, which provided\.al2023 does not have/)
})
