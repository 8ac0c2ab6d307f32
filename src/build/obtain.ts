import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import { neutralise } from '../common/untrusted.js'
import type { BuildInputs } from '../inputs/build-inputs.js'
import { type FetchedFile, fetchFile, sha256File, verifySha256 } from '../source/download.js'
import { extractSource } from '../source/extract.js'
import type { Builder } from './builders/index.js'
import { cacheKey, restoreBuild, saveBuild, writeManifest } from './cache.js'
import { collectBuild } from './collect.js'
import { checkVersion } from './compile.js'
import { addNativeCodec, CODEC_LIBRARY, nativeCodecDigest } from './native-codec.js'

/** A compiled PicoLisp tree ready for the layer. */
export interface CompiledPicoLisp {
  dir: string
  version: string
  cacheHit: boolean
}

/** Kept in the compiled tree, so a cache hit knows the version without running anything. */
const VERSION_FILE = '.picolisp-version'

/** What a runner without network access can do instead of downloading the source. */
export const SOURCE_REMEDY =
  "Without network access, mirror the tarball and set 'source-url' to the copy (a URL or a " +
  'local path) and \'source-sha256\' to its digest (README: "Offline and air-gapped runners").'

/** The expected tarball digest; without one, fetches the tarball to learn it. */
async function sourceDigest(
  inputs: BuildInputs,
  workDir: string,
): Promise<{ sha256: string; tarball?: FetchedFile }> {
  if (inputs.sourceSha256) return { sha256: inputs.sourceSha256 }
  const tarball = await fetchFile(
    inputs.sourceUrl,
    'source-url',
    inputs.workspace,
    workDir,
    SOURCE_REMEDY,
  )
  const sha256 = await sha256File(tarball.path)
  if (inputs.version === 'rolling') {
    core.info(
      neutralise(`The rolling release downloaded from ${inputs.sourceUrl} has sha256 ${sha256}.`),
    )
  } else {
    core.warning(
      neutralise(
        `No sha256 is known for ${inputs.sourceUrl}. It was ${sha256}: set input 'source-sha256' ` +
          'to that to be sure later builds use the same source.',
      ),
    )
  }
  return { sha256, tarball }
}

/**
 * Gives a compiled PicoLisp for the inputs: from the cache when it has one
 * (no download, no tools, no compile), else downloaded, verified and built
 * by `builder`.
 */
export async function obtainPicoLisp(
  inputs: BuildInputs,
  builder: Builder,
  tempDir: string,
  workDir: string,
  runtimeDir: string,
): Promise<CompiledPicoLisp> {
  const digest = await sourceDigest(inputs, workDir)
  const key = cacheKey({
    version: inputs.version,
    sourceSha256: digest.sha256,
    architecture: builder.architecture,
    builder: builder.name,
    environment: [...(await builder.identity()), `codec${await nativeCodecDigest(runtimeDir)}`],
  })
  core.info(neutralise(`Build cache key: ${key}`))
  if (inputs.cache) {
    const cached = await restoreBuild(key, tempDir, workDir, inputs.architecture)
    if (cached) {
      const version = (await fs.readFile(path.join(cached, VERSION_FILE), 'utf8')).trim()
      core.info(neutralise(`Cache hit: PicoLisp ${version} compiled earlier, nothing to build.`))
      return { dir: cached, version, cacheHit: true }
    }
  }
  let tarball = digest.tarball
  if (!tarball) {
    tarball = await fetchFile(
      inputs.sourceUrl,
      'source-url',
      inputs.workspace,
      workDir,
      SOURCE_REMEDY,
    )
    // A digest from the release table guards against a tampered download or mirror.
    const origin = inputs.sourceSha256FromTable
      ? `the known digest of PicoLisp ${inputs.version}; override with 'source-sha256'`
      : "input 'source-sha256'"
    await verifySha256(tarball, digest.sha256, `the source tarball ${inputs.sourceUrl}`, origin)
  }
  await builder.prepare()
  const sourceDir = await extractSource(tarball.path, path.join(workDir, 'source'))
  await addNativeCodec(sourceDir, runtimeDir)
  const scratch = path.join(workDir, 'builder')
  await fs.mkdir(scratch)
  await builder.compile(sourceDir, scratch)
  const version = await builder.version(sourceDir)
  checkVersion(inputs.version, version)
  // This run's own folder: a concurrent run sharing the caches cannot touch it.
  const dir = path.join(workDir, 'build')
  await collectBuild(sourceDir, dir)
  // A codec that failed to compile (the log above says why) is not kept in the
  // cache: its key is the one of a build with the codec, so the next run tries again.
  const codecFailed =
    builder.buildsNativeCodec() &&
    !(await fs.stat(path.join(dir, CODEC_LIBRARY)).catch(() => undefined))
  if (codecFailed) {
    core.warning(
      `The build made no ${CODEC_LIBRARY}: the runtime decodes and encodes JSON with its Lisp ` +
        'codec, which is slower. This build is not cached, so the next run tries again.',
    )
  }
  if (!(await fs.stat(path.join(dir, 'COPYING')).catch(() => undefined))) {
    core.warning(
      "The source tarball has no COPYING file: the layer ships without PicoLisp's license text.",
    )
  }
  await fs.writeFile(path.join(dir, VERSION_FILE), `${version}\n`)
  await writeManifest(dir)
  if (inputs.cache && !codecFailed) await saveBuild(key, dir, tempDir, inputs.architecture)
  return { dir, version, cacheHit: false }
}
