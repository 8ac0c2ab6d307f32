import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { isRuntimeFile, listFiles } from '../build/collect.js'
import { checkArchitecture } from '../common/elf.js'
import type { Architecture, BuiltLayer } from '../common/types.js'
import { InputError } from '../inputs/input-error.js'
import { sha256File } from '../source/download.js'
import { checkCompatibility } from './compat.js'
import { writeZip, type ZipEntry } from './zip.js'

/** Where the interpreter and everything handlers can `(load "@…")` live in the layer. */
export const HOME = 'picoLisp'

async function modeOf(file: string): Promise<0o755 | 0o644> {
  return (await fs.stat(file)).mode & 0o100 ? 0o755 : 0o644
}

async function entriesOf(dir: string, prefix: string, keep: (relative: string) => boolean) {
  const entries: ZipEntry[] = []
  for (const relative of (await listFiles(dir)).filter(keep)) {
    const source = path.join(dir, relative)
    entries.push({
      name: path.posix.join(prefix, ...relative.split(path.sep)),
      source,
      mode: await modeOf(source),
    })
  }
  return entries
}

/** A bundled library as fetched: its folder under picoLisp/ and its two files. */
export interface FetchedLibrary {
  folder: string
  file: string
  path: string
  licensePath: string
}

/** A user file for the layer, by its path relative to the workspace. */
export interface ExtraFile {
  relative: string
  path: string
}

export interface LayerParts {
  /** The compiled tree (see collectBuild). */
  buildDir: string
  /** The repository's runtime/ folder: bootstrap and the PicoLisp runtime. */
  runtimeDir: string
  libraries: FetchedLibrary[]
  extraFiles: ExtraFile[]
  /** Shared objects for the layer's lib/, which Lambda puts on LD_LIBRARY_PATH (/opt/lib). */
  sharedLibraries: ExtraFile[]
}

/** Where input 'shared-libraries' puts its files: /opt/lib is on Lambda's library path. */
export const SHARED_LIBRARY_DIR = 'lib'

const SHARED_OBJECT = /\.so(\.\d+)*$/

/** lib/<name> for each shared library; names must be shared objects, each name once. */
function sharedLibraryEntries(libraries: ExtraFile[]): Promise<ZipEntry[]> {
  const byName = new Map<string, ExtraFile>()
  for (const library of libraries) {
    const name = path.basename(library.relative)
    if (!SHARED_OBJECT.test(name)) {
      throw InputError.invalid(
        'shared-libraries',
        'must name shared objects (lib<name>.so or lib<name>.so.<version>)',
        library.relative,
      )
    }
    const other = byName.get(name)
    if (other) {
      throw new InputError(
        'shared-libraries',
        `${other.relative} and ${library.relative} would both be the layer's ${SHARED_LIBRARY_DIR}/${name}; keep one.`,
      )
    }
    byName.set(name, library)
  }
  return Promise.all(
    [...byName].map(async ([name, library]) => ({
      name: `${SHARED_LIBRARY_DIR}/${name}`,
      source: library.path,
      mode: await modeOf(library.path),
    })),
  )
}

/** Every file of the layer with its name in the zip. */
export async function layerEntries(parts: LayerParts): Promise<ZipEntry[]> {
  const bootstrap = path.join(parts.runtimeDir, 'bootstrap')
  if (!(await fs.stat(bootstrap).catch(() => undefined))?.isFile()) {
    throw new Error(
      `The action's own runtime is missing ${bootstrap}: is the action checked out whole?`,
    )
  }
  const entries: ZipEntry[] = [
    { name: 'bootstrap', source: bootstrap, mode: 0o755 },
    ...(await entriesOf(parts.buildDir, HOME, isRuntimeFile)),
    ...(await entriesOf(
      parts.runtimeDir,
      `${HOME}/runtime`,
      (r) => r.endsWith('.l') && !r.includes(path.sep),
    )),
  ]
  for (const library of parts.libraries) {
    entries.push(
      { name: `${HOME}/${library.folder}/${library.file}`, source: library.path, mode: 0o644 },
      { name: `${HOME}/${library.folder}/LICENSE`, source: library.licensePath, mode: 0o644 },
    )
  }
  entries.push(...(await sharedLibraryEntries(parts.sharedLibraries)))
  const taken = new Set(entries.map((entry) => entry.name))
  for (const extra of parts.extraFiles) {
    const name = `${HOME}/${extra.relative.split(path.sep).join('/')}`
    if (taken.has(name)) {
      throw new InputError(
        'extra-files',
        `${extra.relative} would replace the layer's own ${name}; move or rename it.`,
      )
    }
    taken.add(name)
    entries.push({ name, source: extra.path, mode: await modeOf(extra.path) })
  }
  return entries
}

const isElfCandidate = (name: string): boolean =>
  name === `${HOME}/bin/picolisp` || SHARED_OBJECT.test(name)

/**
 * Builds the zip at `output`: checks that every ELF file is built for
 * `architecture`, and the interpreter and every shared object against
 * provided.al2023, first, so a layer that cannot load is never written.
 */
export async function assembleLayer(
  parts: LayerParts,
  output: string,
  picolispVersion: string,
  architecture: Architecture,
): Promise<{ layer: BuiltLayer; unzippedSize: number }> {
  const entries = await layerEntries(parts)
  await checkArchitecture(entries, architecture)
  const bundled = new Set(
    entries
      .filter((e) => e.name.startsWith(`${SHARED_LIBRARY_DIR}/`))
      .map((e) => path.posix.basename(e.name)),
  )
  await checkCompatibility(
    entries.filter((e) => isElfCandidate(e.name)),
    bundled,
  )
  await writeZip(entries, output)
  const sha256 = await sha256File(output)
  let unzippedSize = 0
  for (const entry of entries) unzippedSize += (await fs.stat(entry.source)).size
  const layer: BuiltLayer = {
    zipPath: output,
    sha256,
    codeSha256: Buffer.from(sha256, 'hex').toString('base64'),
    size: (await fs.stat(output)).size,
    picolispVersion,
    // Checked above against every ELF file, the interpreter among them.
    architecture,
  }
  return { layer, unzippedSize }
}
