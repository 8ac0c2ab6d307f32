import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkManifest, MANIFEST, placeEntry, writeManifest } from '../../src/build/cache.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import {
  type ActionRun,
  makeRunnerDirs,
  type RunnerDirs,
  runAction,
  unzipLayer,
} from '../support/run-action.js'

let root: string
let source: TestSource
let first: ActionRun

/** The one cached build in a tool cache folder. */
async function entryOf(toolCache: string): Promise<string> {
  const base = path.join(toolCache, 'picolisp-lambda-build')
  const versions = await fs.readdir(base)
  expect(versions).toHaveLength(1)
  return path.join(base, versions[0], 'x86_64')
}

/** Runner folders sharing a copy of the first run's tool cache. */
async function withFirstCache(name: string): Promise<RunnerDirs> {
  const dirs = await makeRunnerDirs(path.join(root, name))
  await fs.cp(first.dirs.toolCache, dirs.toolCache, { recursive: true })
  return dirs
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cache-integrity-'))
  source = await startTestSource(root)
  first = await runAction(source.inputs, { dirs: await makeRunnerDirs(path.join(root, 'first')) })
  expect(first.code, first.stdout).toBe(0)
}, 300_000)

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

describe('the manifest', () => {
  let tree: string
  beforeAll(async () => {
    tree = path.join(root, 'tree')
    await fs.mkdir(path.join(tree, 'lib'), { recursive: true })
    await fs.writeFile(path.join(tree, 'lib.l'), '(load "@lib/net.l")\n')
    await fs.writeFile(path.join(tree, 'lib', 'net.l'), '(de net ())\n')
    await fs.writeFile(path.join(tree, 'picolisp'), 'ELF', { mode: 0o755 })
    await writeManifest(tree)
  })

  async function damaged(change: (dir: string) => Promise<void>): Promise<string | undefined> {
    const copy = await fs.mkdtemp(path.join(root, 'damaged-'))
    await fs.cp(tree, copy, { recursive: true })
    await change(copy)
    return checkManifest(copy)
  }

  test('lists every file with size, digest and exec bit, and an intact tree passes', async () => {
    const listed = JSON.parse(await fs.readFile(path.join(tree, MANIFEST), 'utf8'))
    expect(listed.map((e: { path: string }) => e.path)).toEqual(['lib.l', 'lib/net.l', 'picolisp'])
    expect(listed[2]).toMatchObject({ size: 3, executable: true })
    expect(listed[2].sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(await checkManifest(tree)).toBeUndefined()
  })

  test.each([
    ['a removed file', (d: string) => fs.rm(path.join(d, 'lib', 'net.l')), /lib\/net\.l missing/],
    [
      'a changed file of the same size',
      (d: string) => fs.writeFile(path.join(d, 'lib.l'), '(load "@lib/xyz.l")\n'),
      /lib\.l changed/,
    ],
    [
      'an added file',
      (d: string) => fs.writeFile(path.join(d, 'lib', 'evil.l'), '(bye)\n'),
      /lib\/evil\.l not in the manifest/,
    ],
    ['a lost exec bit', (d: string) => fs.chmod(path.join(d, 'picolisp'), 0o644), /mode/],
    ['no manifest', (d: string) => fs.rm(path.join(d, MANIFEST)), /manifest is missing/],
  ])('%s is found', async (_, change, problem) => {
    expect(await damaged(change)).toMatch(problem)
  })

  test('placing an entry replaces the old one whole and leaves no temporary folder', async () => {
    const parent = path.join(root, 'place')
    const target = path.join(parent, 'x86_64')
    await fs.mkdir(target, { recursive: true })
    await fs.writeFile(path.join(target, 'stale.l'), 'old\n')
    await placeEntry(tree, target)
    expect(await checkManifest(target)).toBeUndefined()
    expect((await fs.readdir(target)).sort()).toEqual([MANIFEST, 'lib', 'lib.l', 'picolisp'])
    expect(await fs.readdir(parent)).toEqual(['x86_64'])
  })
})

describe.each([
  [
    'with lib.l and lib/net.l removed',
    async (entry: string) => {
      await fs.rm(path.join(entry, 'lib.l'))
      await fs.rm(path.join(entry, 'lib', 'net.l'))
    },
    /lib\.l, lib\/net\.l missing|lib\/net\.l, lib\.l missing/,
  ],
  [
    'with lib/net.l changed',
    async (entry: string) => {
      await fs.appendFile(path.join(entry, 'lib', 'net.l'), '(bye 3)\n')
    },
    /lib\/net\.l changed/,
  ],
])('a damaged cache entry %s', (_, damage, problem) => {
  let dirs: RunnerDirs
  let run: ActionRun
  beforeAll(async () => {
    dirs = await withFirstCache(`damaged-${damage.length}-${Math.random()}`)
    await damage(await entryOf(dirs.toolCache))
    run = await runAction(source.inputs, { dirs })
  }, 300_000)

  test('is a miss with a warning naming the damage, and is rebuilt', () => {
    expect(run.code, run.stdout).toBe(0)
    expect(run.outputs['cache-hit']).toBe('false')
    expect(run.stdout).toMatch(/::warning::The cached build in \S+ does not match its manifest/)
    expect(run.stdout).toMatch(problem)
    expect(run.stdout).toMatch(/make -C/)
  })

  test('gives the layer an intact cache gives, and it runs', async () => {
    expect(run.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
    expect(unzipLayer(run.outputs['layer-zip'], path.join(dirs.temp, 'unzipped'))).toBe(
      source.source.version,
    )
  })

  test('is replaced by the rebuild, so the next run is a hit', async () => {
    expect(await checkManifest(await entryOf(dirs.toolCache))).toBeUndefined()
    const next = await runAction(source.inputs, { dirs })
    expect(next.code, next.stdout).toBe(0)
    expect(next.outputs['cache-hit']).toBe('true')
    expect(next.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
  })
})

test('two concurrent runs on one cache folder both give correct layers, and leave one whole entry', async () => {
  const shared = path.join(root, 'shared-toolcache')
  const runs = await Promise.all(
    ['one', 'two'].map(async (name) => {
      const dirs = { ...(await makeRunnerDirs(path.join(root, name))), toolCache: shared }
      await fs.mkdir(shared, { recursive: true })
      return runAction(source.inputs, { dirs })
    }),
  )
  for (const run of runs) {
    expect(run.code, run.stdout).toBe(0)
    expect(run.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
  }
  const entry = await entryOf(shared)
  expect(await checkManifest(entry)).toBeUndefined()
  expect(await fs.readdir(path.dirname(entry))).toEqual(['x86_64'])
  // A later run is a hit from it.
  const third = await runAction(source.inputs, {
    dirs: { ...(await makeRunnerDirs(path.join(root, 'three'))), toolCache: shared },
  })
  expect(third.outputs['cache-hit']).toBe('true')
  expect(third.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
}, 300_000)
