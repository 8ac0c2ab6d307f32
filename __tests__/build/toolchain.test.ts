import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, expect, test } from 'vitest'
import {
  findLlvm,
  makefileOptFlags,
  makeVariables,
  optFlags,
  parseLlvmMajor,
  which,
} from '../../src/build/toolchain.js'

let bin: string

/** A PATH folder holding executables with the given names. */
async function fakeTools(names: string[]): Promise<void> {
  for (const name of names) {
    await fs.writeFile(path.join(bin, name), '#!/bin/sh\n', { mode: 0o755 })
  }
}

beforeEach(async () => {
  bin = await fs.mkdtemp(path.join(os.tmpdir(), 'toolchain-'))
})

test('unversioned tools keep their names; only the opt flags and LLVM version are passed', async () => {
  await fakeTools([
    'clang',
    'opt',
    'llc',
    'llvm-link',
    'opt-18',
    'clang-18',
    'llc-18',
    'llvm-link-18',
  ])
  const llvm = findLlvm(bin)
  expect(llvm).toEqual({ clang: 'clang', opt: 'opt', llc: 'llc', llvmLink: 'llvm-link' })
  expect(makeVariables(llvm as NonNullable<typeof llvm>, 18, '-O2')).toEqual([
    'ASM=opt -O2',
    'LLVM=18',
  ])
})

test('the newest complete versioned set wins and is passed to make by name', async () => {
  // 19 lacks llvm-link, so it cannot be used; 14 is older than 18.
  await fakeTools(['opt-14', 'clang-14', 'llc-14', 'llvm-link-14'])
  await fakeTools(['opt-18', 'clang-18', 'llc-18', 'llvm-link-18'])
  await fakeTools(['opt-19', 'clang-19', 'llc-19'])
  const llvm = findLlvm(bin, path.join(bin, 'no-llvm-root'))
  expect(llvm).toMatchObject({
    clang: 'clang-18',
    opt: 'opt-18',
    llc: 'llc-18',
    llvmLink: 'llvm-link-18',
    major: 18,
  })
  expect(llvm?.binDir).toBeUndefined()
  expect(makeVariables(llvm as NonNullable<typeof llvm>, 18, '-O3')).toEqual([
    'CC=clang-18',
    'LLC=llc-18',
    'LINK=llvm-link-18',
    'ASM=opt-18 -O3',
    'LLVM=18',
  ])
})

test.each([
  [13, '-O3'],
  [14, '-O3'],
  [15, '-O3 -opaque-pointers'],
  [16, '-O3 -opaque-pointers'],
  [17, '-O3'],
  [18, '-O3'],
  [19, '-O3'],
  [20, '-O3'],
])('LLVM %i: opt gets %s', (major, flags) => {
  // -opaque-pointers only where LLVM takes it and pil21 needs it: 17 removed the option.
  expect(optFlags(major, '-O3')).toBe(flags)
  const unversioned = { clang: 'clang', opt: 'opt', llc: 'llc', llvmLink: 'llvm-link' }
  expect(makeVariables(unversioned, major, '-O3')).toEqual([`ASM=opt ${flags}`, `LLVM=${major}`])
})

test("the opt flags are the Makefile's own ASM line, without its comment", () => {
  // 23.2's line, then 26.9's.
  expect(makefileOptFlags('CC = clang\nASM = opt -O3  # llvm-as\nLLC = llc\n')).toBe('-O3')
  expect(makefileOptFlags('PIL = ../pil\nASM = opt -O2\nLLC = llc\n')).toBe('-O2')
  expect(makefileOptFlags('CC = clang\n')).toBe('-O2')
})

test('the LLVM major is read from what opt --version prints', () => {
  expect(parseLlvmMajor('Ubuntu LLVM version 18.1.3\n  Optimized build.')).toBe(18)
  expect(parseLlvmMajor('LLVM (http://llvm.org/):\n  LLVM version 14.0.6\n')).toBe(14)
  expect(parseLlvmMajor('Debian LLVM version 19.1.7')).toBe(19)
  expect(parseLlvmMajor('opt: command not understood')).toBeUndefined()
})

test("a version's own bin folder is found for Makefiles that call tools by bare name", async () => {
  await fakeTools(['opt-17', 'clang-17', 'llc-17', 'llvm-link-17'])
  await fs.mkdir(path.join(bin, 'llvm-17', 'bin'), { recursive: true })
  expect(findLlvm(bin, bin)?.binDir).toBe(path.join(bin, 'llvm-17', 'bin'))
})

test('no toolchain at all is undefined', () => {
  expect(findLlvm(bin)).toBeUndefined()
})

test('which finds only executables', async () => {
  await fs.writeFile(path.join(bin, 'plain'), '', { mode: 0o644 })
  await fakeTools(['tool'])
  expect(which('plain', bin)).toBeUndefined()
  expect(which('tool', bin)).toBe(path.join(bin, 'tool'))
})
