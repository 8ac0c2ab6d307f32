import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as exec from '@actions/exec'
import { osReleaseField } from '../common/os-release.js'

/*
 * A sysroot for a cross build: the target architecture's headers, C runtime
 * and shared libraries that pil21 links (glibc, libgcc, libffi, readline,
 * ncurses, OpenSSL), as the distribution packages them. The packages come
 * from the distribution's archive through apt-get with a private state folder
 * (the runner's apt setup is never touched), and are unpacked with dpkg-deb:
 * no root, no foreign architecture added to the runner, no emulator.
 */

/** Debian's name of each Lambda architecture. */
export const DEBIAN_ARCH = { x86_64: 'amd64', arm64: 'arm64' } as const

/** The GNU triple clang and llc target for each Lambda architecture. */
export const TRIPLE = { x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as const

export type TargetArchitecture = keyof typeof DEBIAN_ARCH

/**
 * The -dev packages pil21's Makefile compiles and links against. Their shared
 * library dependencies are added from the archive's own metadata, so renamed
 * packages (Ubuntu 24.04's libssl3t64) need no list per release; libgcc's dev
 * package is named after the release's GCC (see gccDevPackage).
 */
export const DEV_PACKAGES = [
  'libc6-dev',
  'linux-libc-dev',
  'libcrypt-dev',
  'libffi-dev',
  'libreadline-dev',
  'libncurses-dev',
  'libssl-dev',
] as const

/** A shared library package (libffi8, libssl3t64, libgcc-s1), not a -dev or tools package. */
const SHARED_LIBRARY = /^lib.*\d(t64)?$/

/** The runner's distribution, from /etc/os-release. */
export interface Distribution {
  id: string
  codename: string
}

export function runnerDistribution(osRelease = '/etc/os-release'): Distribution {
  return {
    id: osReleaseField('ID', osRelease),
    codename: osReleaseField('VERSION_CODENAME', osRelease),
  }
}

/**
 * apt sources for the runner's own release, for the target architecture: the
 * same package names and versions a native build on that release would use.
 * Ubuntu keeps arm64 on ports.ubuntu.com, amd64 on archive/security.ubuntu.com.
 */
export function defaultSources(distribution: Distribution, target: TargetArchitecture): string[] {
  const { id, codename } = distribution
  const arch = DEBIAN_ARCH[target]
  if (id === 'debian' && codename) {
    const key = 'signed-by=/usr/share/keyrings/debian-archive-keyring.gpg'
    return [
      `deb [arch=${arch} ${key}] http://deb.debian.org/debian ${codename} main`,
      `deb [arch=${arch} ${key}] http://deb.debian.org/debian ${codename}-updates main`,
      `deb [arch=${arch} ${key}] http://deb.debian.org/debian-security ${codename}-security main`,
    ]
  }
  if (id === 'ubuntu' && codename) {
    const key = 'signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg'
    const [archive, security] =
      arch === 'arm64'
        ? ['http://ports.ubuntu.com/ubuntu-ports', 'http://ports.ubuntu.com/ubuntu-ports']
        : ['http://archive.ubuntu.com/ubuntu', 'http://security.ubuntu.com/ubuntu']
    return [
      `deb [arch=${arch} ${key}] ${archive} ${codename} main`,
      `deb [arch=${arch} ${key}] ${archive} ${codename}-updates main`,
      `deb [arch=${arch} ${key}] ${security} ${codename}-security main`,
    ]
  }
  throw new Error(
    `A cross build for ${target} fetches its sysroot from the distribution's archive with apt-get, ` +
      `which needs a Debian or Ubuntu runner (this one is '${id || 'unknown'}'). ` +
      `Run the job on a Debian or Ubuntu runner, or on an ${target} runner (native build).`,
  )
}

/** apt-get and apt-cache against `sources` only, with all state under `state`. */
export class PrivateApt {
  constructor(
    private readonly state: string,
    private readonly arch: string,
  ) {}

  private options(): string[] {
    const o = (value: string) => ['-o', value]
    return [
      '-q',
      ...o(`Dir::Etc::sourcelist=${path.join(this.state, 'sources.list')}`),
      ...o('Dir::Etc::sourceparts=-'),
      ...o(`Dir::State::Lists=${path.join(this.state, 'lists')}`),
      ...o(`Dir::Cache=${path.join(this.state, 'cache')}`),
      ...o('Dir::State::status=/dev/null'),
      ...o(`APT::Architecture=${this.arch}`),
      ...o(`APT::Architectures::=${this.arch}`),
      // root's apt drops to the _apt user, which cannot write a private folder
      ...o('APT::Sandbox::User=root'),
    ]
  }

  /** Writes the sources and reads the archive's package lists. */
  async update(sources: string[]): Promise<void> {
    await fs.mkdir(path.join(this.state, 'lists', 'partial'), { recursive: true })
    await fs.mkdir(path.join(this.state, 'cache', 'archives', 'partial'), { recursive: true })
    await fs.writeFile(path.join(this.state, 'sources.list'), `${sources.join('\n')}\n`)
    await this.run('apt-get', ['update'], undefined, sources.join('; '))
  }

  async run(tool: string, args: string[], cwd?: string, what?: string): Promise<string> {
    const { exitCode, stdout, stderr } = await exec.getExecOutput(
      tool,
      [...this.options(), ...args],
      { cwd, ignoreReturnCode: true, silent: true },
    )
    // apt-get update exits 0 on some unreachable sources: its warnings say so
    const failed = exitCode !== 0 || /^(E|W): (Failed to fetch|Some index files)/m.test(stderr)
    if (failed) {
      throw new Error(
        `${tool} ${args.join(' ')} for the ${this.arch} sysroot failed (exit ${exitCode})` +
          `${what ? ` with sources ${what}` : ''}: ${stderr.trim().split('\n').slice(-5).join(' ')}`,
      )
    }
    return stdout
  }
}

/** libgcc's dev package of the release's GCC: libgcc-12-dev from `Source: gcc-12`. */
export function gccDevPackage(showLibgcc: string): string {
  const match = /^Source: gcc-(\d+)/m.exec(showLibgcc)
  if (!match) {
    throw new Error(`Cannot tell the GCC release from libgcc-s1's metadata: ${showLibgcc.trim()}`)
  }
  return `libgcc-${match[1]}-dev`
}

/** The shared library packages among `apt-cache depends` output's direct Depends. */
export function sharedLibraryDepends(dependsOutput: string): string[] {
  const names = [...dependsOutput.matchAll(/^\s+\|?Depends: ([^\s<>]+)$/gm)].map((m) =>
    m[1].replace(/:\w+$/, ''),
  )
  return [...new Set(names.filter((name) => SHARED_LIBRARY.test(name)))].sort()
}

/** One line of `apt-get download --print-uris`: 'url' file size SHA256:… */
export function debFiles(printUris: string): string[] {
  return [...printUris.matchAll(/^'[^']+' (\S+\.deb) \d+ /gm)].map((m) => m[1]).sort()
}

/** Every package of the sysroot, by name. */
async function packageNames(apt: PrivateApt, arch: string): Promise<string[]> {
  const gccDev = gccDevPackage(
    await apt.run('apt-cache', ['show', '--no-all-versions', `libgcc-s1:${arch}`]),
  )
  const dev = [...DEV_PACKAGES, gccDev]
  const depends = await apt.run('apt-cache', [
    'depends',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    ...DEV_PACKAGES.map((name) => `${name}:${arch}`),
  ])
  return [...new Set([...dev, 'libgcc-s1', ...sharedLibraryDepends(depends)])].sort()
}

/** Makes absolute links relative to `root`: the build machine must never resolve them. */
async function relativeLinks(root: string): Promise<void> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true })
  for (const entry of entries.filter((e) => e.isSymbolicLink())) {
    const link = path.join(entry.parentPath, entry.name)
    const target = await fs.readlink(link)
    if (!path.isAbsolute(target)) continue
    await fs.rm(link)
    await fs.symlink(path.relative(path.dirname(link), path.join(root, target)), link)
  }
}

/** Unpacks the .deb files into `root`, with absolute links made relative. */
async function unpack(debDir: string, debs: string[], root: string): Promise<void> {
  await fs.mkdir(root, { recursive: true })
  for (const deb of debs) {
    await exec.exec('dpkg-deb', ['-x', path.join(debDir, deb), root], { silent: true })
  }
  await relativeLinks(root)
  // Linker scripts (libc.so) name /lib/…: merged-/usr releases ship only usr/lib.
  if (!(await fs.lstat(path.join(root, 'lib')).catch(() => undefined))) {
    await fs.symlink('usr/lib', path.join(root, 'lib'))
  }
}

/** Written last into a complete sysroot: a folder without it is left from an interrupted run. */
export const COMPLETE = '.sysroot-debs'

/** Where a sysroot comes from and where it is kept. */
export interface SysrootOptions {
  target: TargetArchitecture
  /** apt sources lines (see defaultSources). */
  sources: string[]
  /** Sysroots are kept here, one folder per set of .deb files. */
  cacheDir: string
  /** apt's state and the downloads. */
  scratch: string
}

/** A sysroot as the archive offers it now: its packages and its folder, made or not. */
export interface Sysroot {
  dir: string
  /** The .deb files it is made of (name_version_arch.deb): what makes it differ. */
  debs: string[]
  /** The `name:arch` packages, for apt-get download. */
  packages: string[]
  /** Whether `dir` holds it, unpacked whole. */
  ready: boolean
}

/**
 * Reads the archive's package lists (a few seconds, no download) and tells
 * which .deb files make the sysroot now, and its folder:
 * `<cacheDir>/<arch>-<digest of the .deb names>`.
 */
export async function resolveSysroot(options: SysrootOptions): Promise<Sysroot> {
  const arch = DEBIAN_ARCH[options.target]
  const apt = new PrivateApt(path.join(options.scratch, `apt-${arch}`), arch)
  await apt.update(options.sources)
  const packages = (await packageNames(apt, arch)).map((name) => `${name}:${arch}`)
  const debs = debFiles(await apt.run('apt-get', ['download', '--print-uris', ...packages]))
  if (debs.length !== packages.length) {
    throw new Error(
      `The ${arch} sysroot needs ${packages.join(', ')}, but the archive offers ${debs.length} ` +
        `of them: ${debs.join(', ')}`,
    )
  }
  const digest = createHash('sha256').update(debs.join('\n')).digest('hex').slice(0, 16)
  const dir = path.join(options.cacheDir, `${arch}-${digest}`)
  const ready = (await fs.stat(path.join(dir, COMPLETE)).catch(() => undefined)) !== undefined
  return { dir, debs, packages, ready }
}

/** The prefix of a sysroot being unpacked in the cache folder. */
const PARTIAL = '.partial-'

/** An unpacking this old was killed: its run would have ended long before. */
const STALE_MS = 60 * 60 * 1000

/** Removes what killed runs left half unpacked in the cache folder. */
export async function removeStalePartials(cacheDir: string, now = Date.now()): Promise<void> {
  for (const name of await fs.readdir(cacheDir)) {
    if (!name.startsWith(PARTIAL)) continue
    const folder = path.join(cacheDir, name)
    const made = await fs.stat(folder).catch(() => undefined)
    if (made && now - made.mtimeMs > STALE_MS) await fs.rm(folder, { recursive: true, force: true })
  }
}

/**
 * Renames the complete sysroot `partial` to `dir`. Where another run put one
 * there first, that one is used; a folder there without the marker of a
 * complete one (a delete cut short) is replaced.
 */
export async function moveIntoPlace(partial: string, dir: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      return await fs.rename(partial, dir)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
      if (await fs.stat(path.join(dir, COMPLETE)).catch(() => undefined)) return
      if (tries > 0) throw error
      await fs.rm(dir, { recursive: true, force: true })
    }
  }
}

/** Downloads and unpacks a resolved sysroot into its folder, unless it is there already. */
export async function ensureSysroot(sysroot: Sysroot, options: SysrootOptions): Promise<void> {
  if (sysroot.ready) {
    core.info(`Sysroot for ${options.target}: cached in ${sysroot.dir}`)
    return
  }
  const arch = DEBIAN_ARCH[options.target]
  const apt = new PrivateApt(path.join(options.scratch, `apt-${arch}`), arch)
  const debDir = path.join(options.scratch, `debs-${arch}`)
  await fs.mkdir(debDir, { recursive: true })
  await core.group(`Sysroot for ${options.target}: ${sysroot.debs.join(' ')}`, async () => {
    await apt.run('apt-get', ['download', ...sysroot.packages], debDir)
  })
  // Unpacked beside its final place, then renamed: a concurrent run sees all or nothing.
  await fs.mkdir(options.cacheDir, { recursive: true })
  await removeStalePartials(options.cacheDir)
  const partial = await fs.mkdtemp(path.join(options.cacheDir, `${PARTIAL}${arch}-`))
  try {
    await unpack(debDir, sysroot.debs, partial)
    await fs.writeFile(path.join(partial, COMPLETE), `${sysroot.debs.join('\n')}\n`)
    await moveIntoPlace(partial, sysroot.dir)
  } finally {
    await fs.rm(partial, { recursive: true, force: true })
  }
  sysroot.ready = true
  core.info(
    `Sysroot for ${options.target}: ${sysroot.debs.length} packages unpacked in ${sysroot.dir}`,
  )
}

/** The sysroot for `options.target`, from the cache folder or fetched into it. */
export async function prepareSysroot(options: SysrootOptions): Promise<Sysroot> {
  const sysroot = await resolveSysroot(options)
  await ensureSysroot(sysroot, options)
  return sysroot
}
