import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import * as tc from '@actions/tool-cache'
import type { Architecture } from './types.js'

/** Bump when the build steps change what ends up in a compiled tree. */
export const RECIPE_VERSION = 2

const TOOL_NAME = 'picolisp-lambda-build'

/** Everything that changes the compiled binary. */
export interface BuildIdentity {
  version: string
  sourceSha256: string
  architecture: Architecture
  builder: string
  osId: string
  osVersion: string
  libc: string
}

/** The build environment's OS id/version (from /etc/os-release) and glibc version. */
export function buildEnvironment(
  osRelease = '/etc/os-release',
): Pick<BuildIdentity, 'osId' | 'osVersion' | 'libc'> {
  let text = ''
  try {
    text = readFileSync(osRelease, 'utf8')
  } catch {
    // Not Linux-like: the key still names the platform below.
  }
  const field = (name: string): string =>
    new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? ''
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
    `${id.osId}${id.osVersion}`,
    `glibc${id.libc}`,
    `r${RECIPE_VERSION}`,
    id.sourceSha256,
  ].join('-')
}

/** tool-cache wants a semver version: derive a stable one from the key. */
function toolCacheVersion(key: string): string {
  return `${RECIPE_VERSION}.0.0-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`
}

/** Where a compiled tree for `key` is unpacked; fixed per key, as @actions/cache needs. */
export function stagingDir(key: string, tempDir: string): string {
  return path.join(tempDir, 'picolisp-lambda-action', toolCacheVersion(key))
}

let serviceNoticeShown = false

function serviceAvailable(): boolean {
  const available = cache.isFeatureAvailable()
  if (!available && !serviceNoticeShown) {
    core.info(
      'The GitHub cache service is not available here (a local run?): using the tool cache folder only.',
    )
    serviceNoticeShown = true
  }
  return available
}

/** A compiled tree for `key`, from the tool cache folder or the cache service, else undefined. */
export async function restoreBuild(
  key: string,
  tempDir: string,
  arch: Architecture,
): Promise<string | undefined> {
  if (process.env.RUNNER_TOOL_CACHE) {
    const found = tc.find(TOOL_NAME, toolCacheVersion(key), arch)
    if (found) return found
  }
  if (!serviceAvailable()) return undefined
  const dir = stagingDir(key, tempDir)
  try {
    return (await cache.restoreCache([dir], key)) === key ? dir : undefined
  } catch (error) {
    core.warning(`Restoring the build cache failed, building instead: ${(error as Error).message}`)
    return undefined
  }
}

/** Keeps a successful build. A cache that cannot take it is a warning, never a failure. */
export async function saveBuild(key: string, dir: string, arch: Architecture): Promise<void> {
  if (process.env.RUNNER_TOOL_CACHE) {
    try {
      await tc.cacheDir(dir, TOOL_NAME, toolCacheVersion(key), arch)
    } catch (error) {
      core.warning(`Could not keep the build in the tool cache folder: ${(error as Error).message}`)
    }
  }
  if (!serviceAvailable()) return
  try {
    await cache.saveCache([dir], key)
  } catch (error) {
    core.warning(`Could not save the build cache (${key}): ${(error as Error).message}`)
  }
}
