import { mkdtempSync } from 'node:fs'
import { cp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { CrossBuilder } from '../../src/build/builders/cross.js'
import { elfMachine } from '../../src/common/elf.js'
import { SYSROOTS } from '../support/cross.js'
import { pilSource } from '../support/picolisp.js'

// The reverse direction, x86_64 from an arm64 runner, takes the same path with
// the other target: an amd64 sysroot, the x86_64-linux-gnu triple, and
// qemu-x86_64 for the version. No arm64 runner here, so the cross builder is
// asked for x86_64 on this x86_64 machine: everything but the runner is the
// reverse build's (selectBuilder would build natively here).

const EM_X86_64 = 62
/** Files Debian built from its tree: removed so the cross build makes them. */
const GENERATED = ['lib/ext.so', 'lib/ht.so', 'lib/sysdefs'].concat(
  ['picolisp', 'balance', 'ssl', 'httpGate'].map((name) => `bin/${name}`),
)
const work = mkdtempSync(join(tmpdir(), 'cross-reverse-'))

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

it('builds x86_64 PicoLisp against an amd64 sysroot, its version run under qemu-x86_64', async () => {
  const source = pilSource()
  const tree = join(work, 'pil21')
  await cp(source.tree, tree, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })
  await rm(join(tree, 'doc'), { force: true, recursive: true })
  for (const file of GENERATED) await rm(join(tree, file), { force: true })
  const builder = new CrossBuilder('x86_64', {
    installDependencies: false,
    sysrootCache: SYSROOTS,
    scratch: join(work, 'apt'),
  })
  expect((await builder.identity())[0]).toBe('x86_64-linux-gnu')
  await builder.prepare()
  await builder.compile(tree, join(work, 'scratch'))
  for (const file of ['bin/picolisp', 'lib/ext.so', 'lib/ht.so']) {
    expect([file, await elfMachine(join(tree, file))]).toEqual([file, EM_X86_64])
  }
  expect(await builder.version(tree)).toBe(source.version)
}, 900_000)
