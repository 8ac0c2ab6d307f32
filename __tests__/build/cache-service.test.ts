import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeAll, beforeEach, expect, test, vi } from 'vitest'

/**
 * The GitHub cache path, with the service itself replaced: restoreCache
 * "downloads" a prepared tree into the folder it is asked for, as the real
 * one unpacks its tarball there. Everything else is the real code.
 */
const service = vi.hoisted(() => ({
  available: (): boolean => true,
  stored: undefined as string | undefined,
  saved: [] as string[][],
}))

vi.mock('@actions/cache', () => ({
  isFeatureAvailable: () => service.available(),
  restoreCache: async (paths: string[], key: string) => {
    if (!service.stored) return undefined
    await fs.cp(service.stored, paths[0], { recursive: true })
    return key
  },
  saveCache: async (paths: string[]) => {
    service.saved.push(paths)
    return 1
  },
}))

const { checkManifest, restoreBuild, saveBuild, stagingDir, writeManifest } = await import(
  '../../src/build/cache.js'
)

let root: string
let tree: string
let log: string
const KEY = 'picolisp-26.9-x86_64-test'

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cache-service-'))
  tree = path.join(root, 'tree')
  await fs.mkdir(path.join(tree, 'lib'), { recursive: true })
  await fs.writeFile(path.join(tree, 'lib.l'), '(load "@lib/net.l")\n')
  await fs.writeFile(path.join(tree, 'lib', 'net.l'), '(de net ())\n')
  await writeManifest(tree)
})

beforeEach(() => {
  delete process.env.RUNNER_TOOL_CACHE
  service.available = () => true
  service.stored = undefined
  service.saved = []
  log = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log += chunk
    return true
  })
})
afterEach(() => {
  vi.restoreAllMocks()
})

test('an intact entry from the service is a hit', async () => {
  service.stored = tree
  const temp = await fs.mkdtemp(path.join(root, 'temp-'))
  expect(await restoreBuild(KEY, temp, temp, 'x86_64')).toBe(stagingDir(KEY, temp))
})

test('an entry from the service missing a file is a miss with a warning', async () => {
  const damaged = path.join(root, 'damaged')
  await fs.cp(tree, damaged, { recursive: true })
  await fs.rm(path.join(damaged, 'lib.l'))
  service.stored = damaged
  const temp = await fs.mkdtemp(path.join(root, 'temp-'))
  expect(await restoreBuild(KEY, temp, temp, 'x86_64')).toBeUndefined()
  expect(log).toMatch(
    /::warning::The cached build in the GitHub cache .* manifest \(lib\.l missing\)/,
  )
})

test('saving puts a whole, verified copy in the folder the service is given', async () => {
  const temp = await fs.mkdtemp(path.join(root, 'temp-'))
  await saveBuild(KEY, tree, temp, 'x86_64')
  expect(service.saved).toEqual([[stagingDir(KEY, temp)]])
  expect(await checkManifest(stagingDir(KEY, temp))).toBeUndefined()
})

test.each([
  [
    'throws',
    () => {
      throw new Error('no ACTIONS_RESULTS_URL')
    },
  ],
  ['is missing', undefined],
])('a service whose isFeatureAvailable %s is no service, never a failure', async (_, available) => {
  service.available =
    available ??
    ((() => {
      throw new TypeError('cache.isFeatureAvailable is not a function')
    }) as () => boolean)
  const temp = await fs.mkdtemp(path.join(root, 'temp-'))
  await expect(restoreBuild(KEY, temp, temp, 'x86_64')).resolves.toBeUndefined()
  await expect(saveBuild(KEY, tree, temp, 'x86_64')).resolves.toBeUndefined()
  expect(service.saved).toEqual([])
})
