import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tar from 'tar'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { extractSource, LIMITS, symlinksOf, unsafeEntry } from '../../src/source/extract.js'
import { REPO } from '../support/run-action.js'
import { type GeneratedEntry, generateTarball } from '../support/tarball.js'

let dir: string
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'extract-'))
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

const MAKEFILE: GeneratedEntry = { path: 'pil21/src/Makefile', content: 'all:\n' }

test.each([
  ['pil21/../../etc/cron.d/x', 'File', undefined],
  ['/etc/passwd', 'File', undefined],
  ['pil21/lib/x', 'SymbolicLink', '/etc/passwd'],
  ['pil21/lib/x', 'SymbolicLink', '../../../x'],
  ['pil21/lib/x', 'Link', '../outside'],
])('%s (%s -> %s) is refused', (name, type, linkpath) => {
  expect(unsafeEntry({ name, type, linkpath })).toMatch(/points outside the target folder/)
})

test.each([
  ['pil21/src/Makefile', 'File', undefined],
  ['pil21/doc/ref.html', 'SymbolicLink', '../lib/ref.html'],
  ['pil21/lib/y', 'Link', 'pil21/lib/x'],
])('%s (%s -> %s) is safe', (name, type, linkpath) => {
  expect(unsafeEntry({ name, type, linkpath })).toBeUndefined()
})

test('link targets are checked by where they resolve, through earlier links, not as text', () => {
  // As text, a/b/c/../../.. is '.': inside. Through c -> ../.. it is two levels above.
  const entries = [
    { name: 'a/b/c', type: 'SymbolicLink', linkpath: '../..' },
    { name: 'a/b/e', type: 'SymbolicLink', linkpath: 'c/../../..' },
  ]
  const links = symlinksOf(entries)
  expect(unsafeEntry(entries[0], links)).toBeUndefined()
  expect(unsafeEntry(entries[1], links)).toMatch(/link 'a\/b\/e' -> 'c\/..\/..\/..' points outside/)
  // A file written through a link that leaves, and a loop, are refused too.
  const through = new Map([['pil21/out', '../..']])
  expect(unsafeEntry({ name: 'pil21/out/x/y', type: 'File' }, through)).toMatch(/through a link/)
  const loop = new Map([
    ['pil21/a', 'b'],
    ['pil21/b', 'a'],
  ])
  expect(unsafeEntry({ name: 'pil21/c', type: 'SymbolicLink', linkpath: 'a' }, loop)).toMatch(
    /points outside/,
  )
})

test('the link chain is refused as a whole tarball, and nothing is unpacked', async () => {
  const tarball = path.join(dir, 'chain.tgz')
  await generateTarball(tarball, [
    MAKEFILE,
    { path: 'pil21/a/b/c', type: 'SymbolicLink', linkpath: '../..' },
    { path: 'pil21/a/b/e', type: 'SymbolicLink', linkpath: 'c/../../..' },
  ])
  const out = path.join(dir, 'chain-out')
  await expect(extractSource(tarball, out)).rejects.toThrow(
    /unsafe entries.*link 'pil21\/a\/b\/e' -> 'c\/..\/..\/..' points outside/,
  )
  expect(await fs.readdir(out).catch(() => [])).toEqual([])
})

test('a safe tarball unpacks to its pil21 folder', async () => {
  await fs.mkdir(path.join(dir, 'in', 'pil21', 'src'), { recursive: true })
  await fs.writeFile(path.join(dir, 'in', 'pil21', 'src', 'Makefile'), 'all:\n')
  await tar.c({ gzip: true, file: path.join(dir, 'ok.tgz'), cwd: path.join(dir, 'in') }, ['pil21'])
  const pil21 = await extractSource(path.join(dir, 'ok.tgz'), path.join(dir, 'out'))
  expect(pil21).toBe(path.join(dir, 'out', 'pil21'))
  expect(await fs.readFile(path.join(pil21, 'src', 'Makefile'), 'utf8')).toBe('all:\n')
})

test('the limits leave room for real releases: pil21 26.9 is 175 entries and 9.6 MB', () => {
  expect(LIMITS.entries).toBeGreaterThanOrEqual(175 * 50)
  expect(LIMITS.bytes).toBeGreaterThanOrEqual(9.6e6 * 25)
})

test('a tarball unpacking past the byte limit is refused before it is unpacked', async () => {
  const tarball = path.join(dir, 'bomb.tgz')
  await generateTarball(tarball, [MAKEFILE, { path: 'pil21/big', size: LIMITS.bytes + 1 }])
  expect((await fs.stat(tarball)).size).toBeLessThan(LIMITS.bytes / 50)
  const out = path.join(dir, 'bomb-out')
  await expect(extractSource(tarball, out)).rejects.toThrow(
    new RegExp(`too large to be a PicoLisp source: it unpacks to more than ${LIMITS.bytes} bytes`),
  )
  expect(await fs.readdir(out).catch(() => [])).toEqual([])
})

test('a tarball with more entries than the limit is refused', async () => {
  const tarball = path.join(dir, 'many.tgz')
  const entries = function* (): Generator<GeneratedEntry> {
    yield MAKEFILE
    for (let i = 0; i < LIMITS.entries; i++) yield { path: `pil21/many/${i}` }
  }
  await generateTarball(tarball, entries())
  await expect(extractSource(tarball, path.join(dir, 'many-out'))).rejects.toThrow(
    new RegExp(`it has more than ${LIMITS.entries} entries`),
  )
})

test('memory stays flat: unpacking 240 MB uses far less than 240 MB', async () => {
  const tarball = path.join(dir, 'large.tgz')
  const size = 240 * 1024 * 1024
  await generateTarball(tarball, [MAKEFILE, { path: 'pil21/large', size }])
  // A fresh process, so its peak resident size is this extraction's alone.
  const script = [
    `import { extractSource } from ${JSON.stringify(path.join(REPO, 'src', 'source', 'extract.ts'))}`,
    `await extractSource(${JSON.stringify(tarball)}, ${JSON.stringify(path.join(dir, 'large-out'))})`,
    'console.log(process.resourceUsage().maxRSS * 1024)',
  ].join('\n')
  const peak = Number(
    execFileSync(
      path.join(REPO, 'node_modules', '.bin', 'tsx'),
      ['--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    ).trim(),
  )
  expect((await fs.stat(path.join(dir, 'large-out', 'pil21', 'large'))).size).toBe(size)
  expect(peak).toBeLessThan(size * 0.75)
  await fs.rm(path.join(dir, 'large-out'), { recursive: true, force: true })
}, 120_000)
