import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, expect, test } from 'vitest'
import { COMPLETE, moveIntoPlace, removeStalePartials } from '../../src/build/sysroot.js'

// The sysroot cache folder across runs: one killed while unpacking, two at
// once, and a sysroot folder someone deleted half of.

let cache: string
beforeEach(async () => {
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'sysroot-cache-'))
})

/** A complete sysroot unpacked at `dir`, holding `file`. */
async function unpacked(dir: string, file: string): Promise<string> {
  await fs.mkdir(path.join(dir, 'usr'), { recursive: true })
  await fs.writeFile(path.join(dir, 'usr', file), file)
  await fs.writeFile(path.join(dir, COMPLETE), 'libc6-dev_2.39_arm64.deb\n')
  return dir
}

test('a sysroot is renamed into its place', async () => {
  const dir = path.join(cache, 'arm64-1')
  await moveIntoPlace(await unpacked(path.join(cache, '.partial-a'), 'mine'), dir)
  expect(await fs.readdir(path.join(dir, 'usr'))).toEqual(['mine'])
})

test('a complete sysroot another run put there first is kept', async () => {
  const dir = await unpacked(path.join(cache, 'arm64-1'), 'theirs')
  await moveIntoPlace(await unpacked(path.join(cache, '.partial-a'), 'mine'), dir)
  expect(await fs.readdir(path.join(dir, 'usr'))).toEqual(['theirs'])
})

test('a sysroot folder without its marker, a delete cut short, is replaced', async () => {
  const dir = path.join(cache, 'arm64-1')
  await fs.mkdir(path.join(dir, 'usr', 'lib'), { recursive: true })
  await moveIntoPlace(await unpacked(path.join(cache, '.partial-a'), 'mine'), dir)
  expect(await fs.readdir(path.join(dir, 'usr'))).toEqual(['mine'])
  expect(await fs.readFile(path.join(dir, COMPLETE), 'utf8')).toContain('libc6-dev')
})

test("what killed runs left half unpacked goes, a running one's stays", async () => {
  const old = await unpacked(path.join(cache, '.partial-arm64-old'), 'x')
  const now = await unpacked(path.join(cache, '.partial-arm64-now'), 'y')
  const kept = await unpacked(path.join(cache, 'arm64-1'), 'z')
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000)
  for (const dir of [old, kept]) await fs.utimes(dir, twoHoursAgo, twoHoursAgo)
  await removeStalePartials(cache)
  expect((await fs.readdir(cache)).sort()).toEqual(['.partial-arm64-now', 'arm64-1'])
  expect(path.basename(now)).toBe('.partial-arm64-now')
})
