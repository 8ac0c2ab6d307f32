import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { checkSmokeArchitecture } from '../../src/invoke/smoke.js'

// A cross-built layer can be smoke-tested here only through qemu's binfmt_misc
// registration: the check reads a binfmt_misc folder, here a stand-in one.

const cleanup: string[] = []
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function binfmt(entries: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'binfmt-'))
  cleanup.push(dir)
  for (const entry of entries) await writeFile(join(dir, entry), 'enabled\n')
  return dir
}

test("a layer of the runner's own architecture needs nothing", () => {
  expect(() => checkSmokeArchitecture('x86_64', 'x86_64', '/nonexistent')).not.toThrow()
})

test('an arm64 layer on x86_64 without qemu in binfmt_misc fails with the remedy', async () => {
  const dir = await binfmt(['qemu-x86_64'])
  expect(() => checkSmokeArchitecture('arm64', 'x86_64', dir)).toThrow(
    `Input 'test-handler': the smoke test runs the arm64 layer on this x86_64 runner, which needs ` +
      `qemu registered with binfmt_misc (there is no ${join(dir, 'qemu-aarch64')}). Add the step ` +
      'docker/setup-qemu-action before this one, or run the smoke test on an arm64 runner.',
  )
})

test('runs once qemu-aarch64 is registered, and the reverse with qemu-x86_64', async () => {
  const aarch64 = await binfmt(['qemu-aarch64'])
  const x86 = await binfmt(['qemu-x86_64'])
  expect(() => checkSmokeArchitecture('arm64', 'x86_64', aarch64)).not.toThrow()
  expect(() => checkSmokeArchitecture('x86_64', 'arm64', x86)).not.toThrow()
  expect(() => checkSmokeArchitecture('x86_64', 'arm64', aarch64)).toThrow(/no .*qemu-x86_64/)
})
