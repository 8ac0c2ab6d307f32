import * as exec from '@actions/exec'
import { AL2023_LIBRARIES, MAX_GLIBC } from '../common/lambda-limits.js'
import { compareVersions } from '../common/versions.js'

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
        `${file} needs ${library}, which provided.al2023 does not have: list that library in ` +
          "input 'shared-libraries' (the layer's lib/, on Lambda's library path) or build without it.",
      )
    }
  }
  return problems
}

/**
 * Checks every ELF file against provided.al2023: glibc symbol versions and
 * needed libraries (those in the base image or shipped in the layer's lib/).
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
