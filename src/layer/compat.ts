import * as exec from '@actions/exec'

/** provided.al2023 ships glibc 2.34: a newer symbol version fails to load there. */
export const MAX_GLIBC = '2.34'

/** glibc's libraries that a pil21 build links. */
export const GLIBC_LIBRARIES: readonly string[] = [
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'libutil.so.1',
]

/** Shared libraries in the provided.al2023 base image (glibc's own and the documented extras). */
export const AL2023_LIBRARIES: ReadonlySet<string> = new Set([
  ...GLIBC_LIBRARIES,
  'libresolv.so.2',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'libgcc_s.so.1',
  'libffi.so.8',
  'libreadline.so.8',
  'libhistory.so.8',
  'libtinfo.so.6',
  'libncursesw.so.6',
  'libssl.so.3',
  'libcrypto.so.3',
  'libcurl.so.4',
  'libz.so.1',
])

export interface ElfNeeds {
  /** DT_NEEDED entries. */
  libraries: string[]
  /** Undefined symbols with their glibc version, e.g. { symbol: 'openpty', version: '2.34' }. */
  glibcSymbols: { symbol: string; version: string }[]
}

/** Parses `readelf -W -d --dyn-syms` output. */
export function parseReadelf(output: string): ElfNeeds {
  const libraries = [...output.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
    (m) => m[1],
  )
  const glibcSymbols = [...output.matchAll(/\sUND\s+([^@\s]+)@GLIBC_([\d.]+)/g)].map((m) => ({
    symbol: m[1],
    version: m[2],
  }))
  return { libraries, glibcSymbols }
}

/** Compares dotted versions numerically: 2.34 < 2.35, 2.3.4 < 2.34. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** Problems that would stop `file` from loading on provided.al2023, as sentences with a remedy. */
export function compatProblems(
  file: string,
  needs: ElfNeeds,
  bundled: ReadonlySet<string>,
): string[] {
  const problems: string[] = []
  for (const { symbol, version } of needs.glibcSymbols) {
    if (compareVersions(version, MAX_GLIBC) > 0) {
      problems.push(
        `${file} needs ${symbol}@GLIBC_${version}, newer than provided.al2023's glibc ${MAX_GLIBC}. ` +
          `The build binds symbols to older versions where this machine's glibc keeps one; ` +
          `${symbol} has none, so build on a system with glibc ${MAX_GLIBC} or older: set input ` +
          `'builder' to 'docker', which compiles in Amazon Linux 2023 (the default 'builder-image').`,
      )
    }
  }
  for (const library of needs.libraries) {
    if (!AL2023_LIBRARIES.has(library) && !bundled.has(library)) {
      problems.push(
        `${file} needs ${library}, which provided.al2023 does not have: bundle it in the layer's lib/ ` +
          'or build without it.',
      )
    }
  }
  return problems
}

/**
 * Checks every ELF file against provided.al2023: glibc symbol versions and
 * needed libraries (those in the base image or bundled in the layer's lib/).
 */
export async function checkCompatibility(
  files: { name: string; source: string }[],
  bundledLibraries: ReadonlySet<string>,
): Promise<void> {
  const problems: string[] = []
  for (const file of files) {
    const { stdout } = await exec.getExecOutput(
      'readelf',
      ['-W', '-d', '--dyn-syms', file.source],
      {
        silent: true,
      },
    )
    problems.push(...compatProblems(file.name, parseReadelf(stdout), bundledLibraries))
  }
  if (problems.length > 0) {
    throw new Error(`The layer would not run on provided.al2023:\n- ${problems.join('\n- ')}`)
  }
}
