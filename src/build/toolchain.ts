import { accessSync, constants, existsSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as exec from '@actions/exec'

/** The LLVM tool names one build uses, all of one LLVM version. */
export interface LlvmToolchain {
  clang: string
  opt: string
  llc: string
  llvmLink: string
  /** Major version, when it could be told from the names or from `llvm-config`. */
  major?: number
  /** A folder with that version's unversioned tools (Debian/Ubuntu's /usr/lib/llvm-N/bin). */
  binDir?: string
}

const LLVM_TOOLS = ['clang', 'opt', 'llc', 'llvm-link'] as const

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first `name` on PATH, as an absolute path. */
export function which(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name)
  }
  return undefined
}

/** LLVM major versions that have every tool as `<tool>-<N>` on PATH, newest first. */
function versionedMajors(searchPath: string): number[] {
  const majors = new Set<number>()
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir || !existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const match = /^opt-(\d+)$/.exec(name)
      if (match) majors.add(Number(match[1]))
    }
  }
  return [...majors]
    .filter((n) => LLVM_TOOLS.every((tool) => which(`${tool}-${n}`, searchPath)))
    .sort((a, b) => b - a)
}

/**
 * Finds clang, opt, llc and llvm-link of one LLVM version: unversioned names
 * when all are there, else the newest complete set of versioned ones (`opt-18` …).
 */
export function findLlvm(
  searchPath = process.env.PATH ?? '',
  llvmRoot = '/usr/lib',
): LlvmToolchain | undefined {
  if (LLVM_TOOLS.every((tool) => which(tool, searchPath))) {
    return { clang: 'clang', opt: 'opt', llc: 'llc', llvmLink: 'llvm-link' }
  }
  const [major] = versionedMajors(searchPath)
  if (major === undefined) return undefined
  const binDir = path.join(llvmRoot, `llvm-${major}`, 'bin')
  return {
    clang: `clang-${major}`,
    opt: `opt-${major}`,
    llc: `llc-${major}`,
    llvmLink: `llvm-link-${major}`,
    major,
    binDir: existsSync(binDir) ? binDir : undefined,
  }
}

/** The LLVM major version in `opt --version` output ("Ubuntu LLVM version 18.1.3"). */
export function parseLlvmMajor(versionOutput: string): number | undefined {
  const match = /LLVM version (\d+)\./.exec(versionOutput)
  return match ? Number(match[1]) : undefined
}

/** Asks `opt` its version: unversioned tools do not say it in their names. */
export async function llvmMajor(llvm: LlvmToolchain): Promise<number> {
  if (llvm.major !== undefined) return llvm.major
  const { stdout } = await exec.getExecOutput(llvm.opt, ['--version'], {
    ignoreReturnCode: true,
    silent: true,
  })
  const major = parseLlvmMajor(stdout)
  if (major === undefined) {
    throw new Error(
      `Could not tell the LLVM version from '${llvm.opt} --version' (expected "LLVM version N.…"): ${stdout.trim()}`,
    )
  }
  return major
}

/**
 * The optimization flags of the Makefile's own `ASM = opt …` line (23.2 has
 * -O3, 25.3 on -O2), so the action keeps each release's choice.
 */
export function makefileOptFlags(makefile: string): string {
  const match = /^ASM\s*=\s*\S+([^#\n]*)/m.exec(makefile)
  return match?.[1].trim() || '-O2'
}

/**
 * `opt`'s flags for pil21's .ll files under one LLVM major. LLVM 15 and 16
 * need -opaque-pointers, and LLVM 17 removed the option: 23.2's Makefile adds
 * it for every LLVM from 15 on, so the action decides instead of the Makefile.
 */
export function optFlags(major: number, makefileFlags: string): string {
  return major === 15 || major === 16 ? `${makefileFlags} -opaque-pointers` : makefileFlags
}

/**
 * Variables for pil21's src/Makefile. ASM always, so the opt flags suit the
 * LLVM at hand whatever the Makefile's own test says (a command-line variable
 * overrides the Makefile's `ASM +=`); the tool names when they are versioned,
 * so a versioned toolchain works without symlinks.
 */
export function makeVariables(llvm: LlvmToolchain, major: number, makefileFlags: string): string[] {
  const variables = [`ASM=${llvm.opt} ${optFlags(major, makefileFlags)}`, `LLVM=${major}`]
  if (llvm.major === undefined) return variables
  return [`CC=${llvm.clang}`, `LLC=${llvm.llc}`, `LINK=${llvm.llvmLink}`, ...variables]
}

/** A build requirement, how to tell it is there, and the Debian package that brings it. */
interface Requirement {
  what: string
  debianPackage: string
  present: () => Promise<boolean>
}

const tool = (name: string) => async (): Promise<boolean> => which(name) !== undefined

const pkgConfig = (module: string) => async (): Promise<boolean> =>
  which('pkg-config') !== undefined &&
  (await exec.exec('pkg-config', ['--exists', module], {
    ignoreReturnCode: true,
    silent: true,
  })) === 0

const header = (relative: string) => async (): Promise<boolean> =>
  ['/usr/include', '/usr/local/include'].some((dir) => existsSync(path.join(dir, relative)))

const REQUIREMENTS: Requirement[] = [
  { what: 'make', debianPackage: 'make', present: tool('make') },
  { what: 'clang', debianPackage: 'clang', present: async () => findLlvm() !== undefined },
  {
    what: 'opt, llc, llvm-link',
    debianPackage: 'llvm',
    present: async () => findLlvm() !== undefined,
  },
  { what: 'pkg-config', debianPackage: 'pkg-config', present: tool('pkg-config') },
  {
    what: 'strip, readelf',
    debianPackage: 'binutils',
    present: async () => which('readelf') !== undefined && which('strip') !== undefined,
  },
  { what: 'libffi headers', debianPackage: 'libffi-dev', present: pkgConfig('libffi') },
  {
    what: 'readline headers',
    debianPackage: 'libreadline-dev',
    present: header('readline/readline.h'),
  },
  { what: 'OpenSSL headers', debianPackage: 'libssl-dev', present: header('openssl/ssl.h') },
]

/** Debian packages whose tools or headers are missing here. */
export async function missingPackages(): Promise<string[]> {
  const missing: string[] = []
  for (const requirement of REQUIREMENTS) {
    if (!(await requirement.present()) && !missing.includes(requirement.debianPackage)) {
      missing.push(requirement.debianPackage)
    }
  }
  return missing
}

function installCommand(packages: string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`
}

/**
 * Makes sure the build tools are there: installs what is missing with apt-get
 * when allowed, else fails with the exact command to run.
 */
export async function ensureBuildTools(installAllowed: boolean): Promise<LlvmToolchain> {
  const missing = await missingPackages()
  if (missing.length > 0) {
    if (!installAllowed) {
      throw new Error(
        `Missing build dependencies: ${missing.join(', ')}. Install them with: ${installCommand(missing)} ` +
          "(or set input 'install-dependencies' to true).",
      )
    }
    await aptInstall(missing)
  }
  const llvm = findLlvm()
  if (!llvm)
    throw new Error('No LLVM toolchain (clang, opt, llc, llvm-link) was found after installing.')
  return llvm
}

async function aptInstall(packages: string[]): Promise<void> {
  if (!which('apt-get')) {
    throw new Error(
      `Missing build dependencies (Debian package names): ${packages.join(', ')}. ` +
        'This runner has no apt-get: install their equivalents before this step.',
    )
  }
  const isRoot = process.getuid?.() === 0
  if (!isRoot && !which('sudo')) {
    throw new Error(
      `Missing build dependencies and no sudo to install them. Run as root: ${installCommand(packages).replaceAll('sudo ', '')}`,
    )
  }
  const run = (args: string[]): Promise<number> =>
    isRoot
      ? exec.exec('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      : exec.exec('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args])
  await core.group(`Installing ${packages.join(' ')}`, async () => {
    await run(['update', '-q'])
    await run(['install', '-y', '-q', '--no-install-recommends', ...packages])
  })
}
