import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { removeOnCancel } from '../common/cancel.js'
import { osReleaseField } from '../common/os-release.js'
import type { Architecture } from '../common/types.js'
import { sha256File } from '../source/download.js'

/** Bump when the build steps change what ends up in a compiled tree (2: glibc bindings and
 * LLVM flags decided by the action; 3: the manifest; 4: the native JSON codec). */
export const RECIPE_VERSION = 4

const TOOL_NAME = 'picolisp-lambda-build'

/** Everything that changes the compiled binary. */
export interface BuildIdentity {
  version: string
  sourceSha256: string
  architecture: Architecture
  builder: string
  /** The builder's own parts (Builder.identity): the OS and libc built on, an image digest. */
  environment: string[]
}

/** The build environment's OS id/version (from /etc/os-release) and glibc version. */
export function buildEnvironment(osRelease = '/etc/os-release'): {
  osId: string
  osVersion: string
  libc: string
} {
  // Not Linux-like: the key still names the platform.
  const field = (name: string): string => osReleaseField(name, osRelease)
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }
  return {
    osId: field('ID') || process.platform,
    osVersion: field('VERSION_ID') || 'unknown',
    libc: report?.header?.glibcVersionRuntime ?? 'unknown',
  }
}

/** A readable cache key; two matrix jobs share one only if their binaries would be identical. */
export function cacheKey(id: BuildIdentity): string {
  return [
    'picolisp',
    id.version,
    id.architecture,
    id.builder,
    ...id.environment,
    `r${RECIPE_VERSION}`,
    id.sourceSha256,
  ].join('-')
}

/** A short folder name, stable per key (semver-shaped, as @actions/tool-cache had it). */
function toolCacheVersion(key: string): string {
  return `${RECIPE_VERSION}.0.0-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`
}

/** Where a compiled tree for `key` is unpacked; fixed per key, as @actions/cache needs. */
export function stagingDir(key: string, tempDir: string): string {
  return path.join(tempDir, 'picolisp-lambda-action', toolCacheVersion(key))
}

/** Written last into every cached tree: each file's path, size, digest and exec bit. */
export const MANIFEST = '.manifest.json'

interface ManifestEntry {
  path: string
  size: number
  sha256: string
  executable: boolean
}

/** Files under `dir` as sorted posix paths, the manifest left out. */
async function treeFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .map((relative) => relative.split(path.sep).join('/'))
    .filter((relative) => relative !== MANIFEST)
    .sort()
}

async function describeFile(dir: string, relative: string): Promise<ManifestEntry> {
  const file = path.join(dir, relative)
  const stat = await fs.lstat(file)
  if (!stat.isFile()) throw new Error(`${relative} is not a regular file`)
  return {
    path: relative,
    size: stat.size,
    sha256: await sha256File(file),
    executable: (stat.mode & 0o100) !== 0,
  }
}

/** Writes the manifest of `dir`; it must come after every other file. */
export async function writeManifest(dir: string): Promise<void> {
  const entries: ManifestEntry[] = []
  for (const relative of await treeFiles(dir)) entries.push(await describeFile(dir, relative))
  await fs.writeFile(path.join(dir, MANIFEST), `${JSON.stringify(entries, null, 1)}\n`)
}

/** Why `dir` does not hold exactly what its manifest lists, or undefined when it does. */
export async function checkManifest(dir: string): Promise<string | undefined> {
  let listed: ManifestEntry[]
  try {
    listed = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8'))
    if (!Array.isArray(listed)) return 'its manifest is not a list'
  } catch (error) {
    return `its manifest is missing or unreadable (${(error as Error).message})`
  }
  const present = await treeFiles(dir)
  const expected = listed.map((entry) => entry.path).sort()
  const missing = expected.filter((name) => !present.includes(name))
  if (missing.length > 0) return `${missing.join(', ')} missing`
  const extra = present.filter((name) => !expected.includes(name))
  if (extra.length > 0) return `${extra.join(', ')} not in the manifest`
  for (const entry of listed) {
    const actual = await describeFile(dir, entry.path).catch((error: Error) => error)
    if (actual instanceof Error) return actual.message
    if (actual.size !== entry.size || actual.sha256 !== entry.sha256) return `${entry.path} changed`
    if (actual.executable !== entry.executable) return `${entry.path} changed its mode`
  }
  return undefined
}

/** The tool cache folder's entry for `key`, or undefined when there is no tool cache. */
function toolCacheEntry(key: string, arch: Architecture): string | undefined {
  const root = process.env.RUNNER_TOOL_CACHE
  return root ? path.join(root, TOOL_NAME, toolCacheVersion(key), arch) : undefined
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * Copies a cache entry into this run's own `dest` and checks the copy against
 * the manifest: a concurrent run replacing the entry cannot change what this
 * run builds from. Null when there is no entry, undefined when the copy is
 * good, else what is wrong with it.
 */
async function copyVerified(entry: string, dest: string): Promise<string | undefined | null> {
  try {
    await fs.cp(entry, dest, { recursive: true, errorOnExist: true, force: false })
  } catch (error) {
    await fs.rm(dest, { recursive: true, force: true })
    return isMissing(error) ? null : `could not copy it (${(error as Error).message})`
  }
  return checkManifest(dest)
}

/**
 * Puts a copy of `built` at `target`, whole: it is copied into a temporary
 * folder beside `target`, its manifest written last, then renamed into place.
 * A reader sees the old entry, the new one or none, never half of one.
 */
export async function placeEntry(built: string, target: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true })
  const staging = await fs.mkdtemp(path.join(path.dirname(target), `.${path.basename(target)}-`))
  const forget = removeOnCancel(staging)
  try {
    await fs.cp(built, staging, {
      recursive: true,
      filter: (src) => path.basename(src) !== MANIFEST,
    })
    await writeManifest(staging)
    const old = `${staging}.old`
    await fs.rename(target, old).catch((error) => {
      if (!isMissing(error)) throw error
    })
    // Another run may have put its entry there since: it is as good as ours, keep it.
    await fs.rename(staging, target).catch(() => undefined)
    await fs.rm(old, { recursive: true, force: true })
  } finally {
    await fs.rm(staging, { recursive: true, force: true })
    forget()
  }
}

let serviceNoticeShown = false

/** Whether the GitHub cache service can be used; a stub or a broken service is a no. */
function serviceAvailable(): boolean {
  let available = false
  let why = 'not available here (a local run?)'
  try {
    available = typeof cache.isFeatureAvailable === 'function' && cache.isFeatureAvailable()
  } catch (error) {
    why = `not usable (${(error as Error).message})`
  }
  if (!available && !serviceNoticeShown) {
    core.info(`The GitHub cache service is ${why}: using the tool cache folder only.`)
    serviceNoticeShown = true
  }
  return available
}

function damaged(where: string, problem: string): void {
  core.warning(
    `The cached build in ${where} does not match its manifest (${problem}): building it again.`,
  )
}

/**
 * A compiled tree for `key`, verified against its manifest, from the tool
 * cache folder (copied into `workDir`) or the cache service; else undefined.
 * A damaged entry is a miss with a warning, and the build replaces it.
 */
export async function restoreBuild(
  key: string,
  tempDir: string,
  workDir: string,
  arch: Architecture,
): Promise<string | undefined> {
  const entry = toolCacheEntry(key, arch)
  if (entry) {
    const dest = path.join(workDir, 'cached')
    const problem = await copyVerified(entry, dest)
    if (problem === undefined) return dest
    if (problem !== null) damaged(entry, problem)
  }
  if (!serviceAvailable()) return undefined
  const dir = stagingDir(key, tempDir)
  try {
    await fs.rm(dir, { recursive: true, force: true })
    if ((await cache.restoreCache([dir], key)) !== key) return undefined
  } catch (error) {
    core.warning(`Restoring the build cache failed, building instead: ${(error as Error).message}`)
    return undefined
  }
  const problem = await checkManifest(dir)
  if (problem === undefined) return dir
  damaged(`the GitHub cache (${key})`, problem)
  return undefined
}

/** Keeps a successful build. A cache that cannot take it is a warning, never a failure. */
export async function saveBuild(
  key: string,
  built: string,
  tempDir: string,
  arch: Architecture,
): Promise<void> {
  const entry = toolCacheEntry(key, arch)
  if (entry) {
    try {
      await placeEntry(built, entry)
    } catch (error) {
      core.warning(`Could not keep the build in the tool cache folder: ${(error as Error).message}`)
    }
  }
  if (!serviceAvailable()) return
  try {
    const dir = stagingDir(key, tempDir)
    await fs.rm(dir, { recursive: true, force: true })
    await placeEntry(built, dir)
    await cache.saveCache([dir], key)
  } catch (error) {
    core.warning(`Could not save the build cache (${key}): ${(error as Error).message}`)
  }
}
