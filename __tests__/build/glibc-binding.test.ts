import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, expect, test } from 'vitest'
import {
  llcWrapper,
  olderBindings,
  prepareGlibcBinding,
  shellQuote,
  symverDirectives,
} from '../../src/build/glibc-binding.js'
import { parseReadelf } from '../../src/layer/compat.js'

let dir: string

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'glibc-binding-'))
})

/** `readelf -W --dyn-syms` lines as glibc 2.41's libc and libm print them. */
const EXPORTS = `
Symbol table '.dynsym' contains 6 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND
     1: 0000000000000000     0 OBJECT  GLOBAL DEFAULT  UND _dl_argv@GLIBC_PRIVATE (9)
     2: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND fmod@GLIBC_2.99 (4)
  1205: 00000000000162a0    76 FUNC    GLOBAL DEFAULT   16 fmod@GLIBC_2.2.5
  1206: 0000000000052140   837 FUNC    GLOBAL DEFAULT   16 fmod@@GLIBC_2.38
   150: 0000000000024aa0    55 FUNC    WEAK   DEFAULT   16 exp10@@GLIBC_2.39
   151: 0000000000024ae0    55 FUNC    GLOBAL DEFAULT   16 exp10@GLIBC_2.2.5
   160: 0000000000024ae0    55 FUNC    GLOBAL DEFAULT   16 exp@GLIBC_2.2.5
   161: 0000000000024ae0    55 FUNC    GLOBAL DEFAULT   16 exp@GLIBC_2.27
   162: 0000000000024ae0    55 FUNC    GLOBAL DEFAULT   16 exp@@GLIBC_2.35
   170: 00000000000a0000    32 FUNC    GLOBAL DEFAULT   16 arc4random@@GLIBC_2.36
   180: 00000000000b0000    32 FUNC    GLOBAL DEFAULT   16 memcpy@@GLIBC_2.14
   181: 00000000000b0000    32 FUNC    GLOBAL DEFAULT   16 memcpy@GLIBC_2.2.5
   190: 00000000000c0000    32 FUNC    GLOBAL DEFAULT   16 openpty@@GLIBC_2.34
   191: 00000000000c0000    32 FUNC    GLOBAL DEFAULT   16 openpty@GLIBC_2.2.5
`

test('symbols whose default is newer than 2.34 are bound to their newest version up to 2.34', () => {
  expect(olderBindings(EXPORTS)).toEqual([
    { symbol: 'exp', version: '2.27', newest: '2.35' },
    { symbol: 'exp10', version: '2.2.5', newest: '2.39' },
    { symbol: 'fmod', version: '2.2.5', newest: '2.38' },
  ])
})

test('a symbol new after 2.34 has nothing to bind to; defaults up to 2.34 are left alone', () => {
  const symbols = olderBindings(EXPORTS).map((b) => b.symbol)
  expect(symbols).not.toContain('arc4random')
  expect(symbols).not.toContain('memcpy')
  expect(symbols).not.toContain('openpty')
  expect(olderBindings(EXPORTS, '2.40')).toEqual([])
})

test('the directives name each symbol and its chosen version', () => {
  expect(symverDirectives(olderBindings(EXPORTS))).toBe(
    '\t.symver exp, exp@GLIBC_2.27\n\t.symver exp10, exp10@GLIBC_2.2.5\n\t.symver fmod, fmod@GLIBC_2.2.5\n',
  )
})

test('shell quoting survives spaces and quotes', () => {
  const word = "/tmp/it's a dir/llc"
  expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' })).toBe(
    word,
  )
})

test('the llc wrapper runs llc with its arguments and puts the directives first', async () => {
  const fakeLlc = path.join(dir, 'fake llc')
  await fs.writeFile(
    fakeLlc,
    '#!/bin/sh\n# writes its first two arguments to the file after -o\nif [ -n "$4" ]; then printf "%s\\n" "$1" "$2" > "$4"; fi\n',
    { mode: 0o755 },
  )
  await fs.writeFile(path.join(dir, 'symver.s'), '\t.symver fmod, fmod@GLIBC_2.2.5\n')
  const wrapper = path.join(dir, 'llc')
  await fs.writeFile(wrapper, llcWrapper(fakeLlc, path.join(dir, 'symver.s')), { mode: 0o755 })
  execFileSync(wrapper, ['x.bc', '-relocation-model=pic', '-o', path.join(dir, 'x.s')])
  expect(await fs.readFile(path.join(dir, 'x.s'), 'utf8')).toBe(
    '\t.symver fmod, fmod@GLIBC_2.2.5\nx.bc\n-relocation-model=pic\n',
  )
  expect(() => execFileSync(wrapper, ['x.bc'], { stdio: 'pipe' })).toThrow(
    /expected '-o <file>' among the arguments: x\.bc/,
  )
})

/** Compiles LLVM IR calling exp the way pil21's Makefile does: llc, then clang on the assembly. */
async function buildExpCaller(llc: string): Promise<string> {
  const ir = path.join(dir, 'main.ll')
  await fs.writeFile(
    ir,
    [
      'declare double @exp(double)',
      'define i32 @main(i32 %argc) {',
      '  %x = sitofp i32 %argc to double',
      '  %y = call double @exp(double %x)',
      '  %r = fptosi double %y to i32',
      '  ret i32 %r',
      '}',
      '',
    ].join('\n'),
  )
  const asm = path.join(dir, 'main.s')
  const binary = path.join(dir, 'main')
  execFileSync(llc, [ir, '-relocation-model=pic', '-o', asm])
  execFileSync('clang', [asm, '-o', binary, '-lm'])
  return binary
}

const expVersion = (binary: string): string | undefined =>
  parseReadelf(
    execFileSync('readelf', ['-W', '--dyn-syms', binary], { encoding: 'utf8' }),
  ).glibcSymbols.find((s) => s.symbol === 'exp')?.version

test("this machine's real libm: a binding to an older version reaches the linked binary", async () => {
  // Debian 12's glibc gave exp a new default version in 2.29 and kept GLIBC_2.2.5:
  // asked for glibc 2.28, the build binds exp as it binds fmod for 2.34 on newer glibcs.
  const plain = await buildExpCaller('llc')
  expect(expVersion(plain)).toBe('2.29')
  const wrapper = await prepareGlibcBinding(
    { clang: 'clang', llc: 'llc' },
    path.join(dir, 'binding'),
    process.env as Record<string, string>,
    '2.28',
  )
  expect(wrapper).toBeDefined()
  const bound = await buildExpCaller(wrapper as string)
  expect(expVersion(bound)).toBe('2.2.5')
  // It still runs: exp(1) is 2.718…, truncated to 2.
  expect(() => execFileSync(bound)).toThrow(expect.objectContaining({ status: 2 }))
})

test("Debian 12's glibc: hypot's 2.35 default is bound, arc4random (new in 2.36) cannot be", async () => {
  const wrapper = await prepareGlibcBinding(
    { clang: 'clang', llc: 'llc' },
    path.join(dir, 'binding'),
    process.env as Record<string, string>,
  )
  expect(wrapper).toBe(path.join(dir, 'binding', 'llc'))
  const directives = await fs.readFile(path.join(dir, 'binding', 'glibc-symver.s'), 'utf8')
  expect(directives).toContain('.symver hypot, hypot@GLIBC_2.2.5\n')
  expect(directives).not.toContain('arc4random')
})
