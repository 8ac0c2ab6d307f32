import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, expect, test } from 'vitest'
import { findLlvm, makeVariables, which } from '../src/toolchain.js'

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

test('unversioned tools are used as they are, with no make variables', async () => {
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
  expect(makeVariables(llvm as NonNullable<typeof llvm>)).toEqual([])
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
  expect(makeVariables(llvm as NonNullable<typeof llvm>)).toEqual([
    'CC=clang-18',
    'ASM=opt-18 -O3',
    'LLC=llc-18',
    'LINK=llvm-link-18',
    'LLVM=18',
  ])
})

test('LLVM 15 and 16 keep the opaque-pointers flag the Makefile would add', async () => {
  await fakeTools(['opt-15', 'clang-15', 'llc-15', 'llvm-link-15'])
  const llvm = findLlvm(bin, bin)
  expect(makeVariables(llvm as NonNullable<typeof llvm>)).toContain(
    'ASM=opt-15 -O3 -opaque-pointers',
  )
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
