import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import * as core from '@actions/core'
import { elfArchitecture } from '../../common/elf.js'
import type { Architecture } from '../../common/types.js'
import { buildEnvironment } from '../cache.js'
import { compilePicoLisp, interpreterVersion } from '../compile.js'
import { checkCrossLink, crossMake, llvmTool, targetSysdefs } from '../cross-toolchain.js'
import { shellQuote } from '../glibc-binding.js'
import {
  defaultSources,
  ensureSysroot,
  resolveSysroot,
  runnerDistribution,
  type Sysroot,
  type SysrootOptions,
  TRIPLE,
} from '../sysroot.js'
import { aptInstall, findLlvm, type LlvmToolchain, llvmMajor, which } from '../toolchain.js'
import type { Builder } from './builder.js'

/*
 * The cross builder: compiles pil21 on this runner for the other
 * architecture (arm64 on an x86_64 runner, or the reverse) with LLVM and a
 * sysroot of the distribution's packages for the target (build/sysroot.ts,
 * build/cross-toolchain.ts). Nothing of the target runs during the build;
 * the version check runs the interpreter under qemu-user when it is here.
 */

/**
 * Debian packages the cross build runs: make, pkg-config, LLVM and its linker
 * (the host's ld knows only the host), and readelf for the layer's checks.
 * No -dev package: the headers and libraries are the sysroot's.
 */
const TOOL_PACKAGES = {
  make: 'make',
  pkgConfig: 'pkg-config',
  clang: 'clang',
  llvm: 'llvm',
  lld: 'lld',
  binutils: 'binutils',
} as const

/** qemu-user's name for each target, static build first (Debian's qemu-user-static). */
const QEMU = {
  arm64: ['qemu-aarch64-static', 'qemu-aarch64'],
  x86_64: ['qemu-x86_64-static', 'qemu-x86_64'],
} as const

export interface CrossOptions {
  /** May the builder apt-get install what is missing (input 'install-dependencies'). */
  installDependencies: boolean
  /** apt sources of the target's packages; default: the runner's own release. */
  sources?: string[]
  /** Where sysroots are kept between runs; default: the runner's tool cache. */
  sysrootCache?: string
  /** Where apt's state and the downloads go (removed once the sysroot is ready); default: a temp folder. */
  scratch?: string
}

/** The version a pil21 tree declares in src/vers.l: `(pico~de *Version 26 9 25)` gives 26.9.25. */
export async function sourceVersion(sourceDir: string): Promise<string> {
  const file = path.join(sourceDir, 'src', 'vers.l')
  const match = /\*Version\s+(\d+)\s+(\d+)\s+(\d+)\)/.exec(await fs.readFile(file, 'utf8'))
  if (!match) throw new Error(`${file} declares no *Version as (… *Version YY M D)`)
  return match.slice(1).join('.')
}

const digest = (text: string): string =>
  createHash('sha256').update(text).digest('hex').slice(0, 12)

export class CrossBuilder implements Builder {
  readonly name = 'cross'
  private readonly sysrootOptions: SysrootOptions
  private sysroot?: Sysroot
  private llvm?: LlvmToolchain

  constructor(
    readonly architecture: Architecture,
    private readonly options: CrossOptions,
  ) {
    const tempRoot = process.env.RUNNER_TEMP || os.tmpdir()
    const cacheRoot = process.env.RUNNER_TOOL_CACHE || tempRoot
    this.sysrootOptions = {
      target: architecture,
      sources: options.sources ?? defaultSources(runnerDistribution(), architecture),
      cacheDir: options.sysrootCache ?? path.join(cacheRoot, 'picolisp-lambda-action', 'sysroots'),
      scratch: options.scratch ?? path.join(tempRoot, `picolisp-cross-${process.pid}`),
    }
  }

  private get triple(): string {
    return TRIPLE[this.architecture]
  }

  /** The sysroot the archive offers now: read once per run. */
  private async resolved(): Promise<Sysroot> {
    if (!this.sysroot) {
      this.sysroot = await resolveSysroot(this.sysrootOptions)
      // A cache hit needs nothing more from apt: its lists (megabytes) go now.
      if (this.sysroot.ready) await this.removeScratch()
    }
    return this.sysroot
  }

  private async removeScratch(): Promise<void> {
    await fs.rm(this.sysrootOptions.scratch, { recursive: true, force: true })
  }

  /**
   * The target triple, the release the sysroot comes from, and the LLVM: told
   * without the network, so a cache hit stays as fast as a native one (reading
   * the archive's package lists costs 5 s and more). Like the native builder's
   * OS and glibc, the release stands for its packages' versions; custom
   * sources add a digest of their lines.
   */
  async identity(): Promise<string[]> {
    const { osId, osVersion } = buildEnvironment()
    const llvm = findLlvm()
    const parts = [
      this.triple,
      `sysroot-${osId}${osVersion}`,
      `llvm${llvm ? await llvmMajor(llvm) : ''}`,
    ]
    if (this.options.sources) parts.push(`sources-${digest(this.options.sources.join('\n'))}`)
    // Without qemu-user the tree has no native JSON codec: not the same build.
    if (!this.qemu()) parts.push('lisp-codec')
    return parts
  }

  async prepare(): Promise<void> {
    await this.ensureTools()
    const llvm = this.toolchain()
    const sysroot = await this.resolved()
    try {
      await ensureSysroot(sysroot, this.sysrootOptions)
      await checkCrossLink(
        llvm.clang,
        crossMake(this.architecture, sysroot.dir, this.strip()),
        path.join(this.sysrootOptions.scratch, 'link-probe'),
      )
    } finally {
      await this.removeScratch()
    }
  }

  private async ensureTools(): Promise<void> {
    const llvm = findLlvm()
    const missing = [
      ...(which('make') ? [] : [TOOL_PACKAGES.make]),
      ...(which('pkg-config') ? [] : [TOOL_PACKAGES.pkgConfig]),
      ...(which('readelf') ? [] : [TOOL_PACKAGES.binutils]),
      ...(llvm ? [] : [TOOL_PACKAGES.clang, TOOL_PACKAGES.llvm]),
      ...(llvm && llvmTool(llvm, 'ld.lld') ? [] : [TOOL_PACKAGES.lld]),
    ]
    if (missing.length > 0) {
      if (!this.options.installDependencies) {
        throw new Error(
          `The cross build for ${this.architecture} needs ${missing.join(', ')}: install them ` +
            `with: sudo apt-get install -y ${missing.join(' ')} (or set input 'install-dependencies' to true).`,
        )
      }
      await aptInstall(missing)
    }
    this.llvm = findLlvm()
  }

  private toolchain(): LlvmToolchain {
    if (!this.llvm) throw new Error('No LLVM toolchain (clang, opt, llc, llvm-link) was found.')
    return this.llvm
  }

  private strip(): string {
    const strip = llvmTool(this.toolchain(), 'llvm-strip')
    if (!strip) {
      throw new Error(
        'The cross build strips with llvm-strip (the host strip knows only the host): install llvm.',
      )
    }
    return strip
  }

  async compile(sourceDir: string, scratch: string): Promise<void> {
    const llvm = this.toolchain()
    const sysroot = await this.resolved()
    const cross = crossMake(this.architecture, sysroot.dir, this.strip())
    cross.makeArgs.push(...this.codecArgs(sysroot.dir))
    core.info(`Cross-compiling PicoLisp for ${this.triple} against the sysroot ${sysroot.dir}`)
    await targetSysdefs(
      sourceDir,
      llvm.clang,
      cross,
      this.architecture,
      path.join(scratch, 'sysdefs'),
    )
    await compilePicoLisp(sourceDir, llvm, path.join(scratch, 'glibc-binding'), cross)
  }

  /** Only when qemu-user can run the new interpreter to make the codec's IR. */
  buildsNativeCodec(): boolean {
    return this.qemu() !== undefined
  }

  /** qemu-user for the target, when the runner has it. */
  private qemu(): string | undefined {
    return QEMU[this.architecture].find((name) => which(name))
  }

  /**
   * The native JSON codec's IR comes from the interpreter just built
   * (build/native-codec.ts): under qemu-user when it is here, else the layer
   * goes without the codec and the runtime uses its Lisp one.
   */
  private codecArgs(sysroot: string): string[] {
    const qemu = this.qemu()
    if (qemu) {
      // make expands '$' in a variable's value before the shell sees it
      const forMake = (word: string): string => shellQuote(word).replaceAll('$', '$$$$')
      return [`LAMBDAJSON_PIL=${forMake(qemu)} -L ${forMake(sysroot)} $(BIN)/picolisp`]
    }
    core.warning(
      `No ${QEMU[this.architecture][0]} here to run the ${this.architecture} interpreter: the layer ` +
        'goes without the native JSON codec (the runtime uses its slower Lisp codec). Install ' +
        'qemu-user-static before this step to build it.',
    )
    return ['LAMBDAJSON=']
  }

  /**
   * Under qemu-user when it is here (`-L` the sysroot, which holds the target's
   * loader and libraries); else the version the tree declares, once the
   * interpreter's ELF header shows the target.
   */
  async version(sourceDir: string): Promise<string> {
    const interpreter = path.join(sourceDir, 'bin', 'picolisp')
    const built = await elfArchitecture(interpreter)
    if (built !== this.architecture) {
      throw new Error(`The cross build made ${interpreter} for ${built}, not ${this.architecture}.`)
    }
    const qemu = this.qemu()
    if (qemu) {
      return interpreterVersion(sourceDir, [qemu, '-L', (await this.resolved()).dir])
    }
    const declared = await sourceVersion(sourceDir)
    core.info(
      `No ${QEMU[this.architecture].join(' or ')} on this runner: the ${this.architecture} ` +
        `interpreter is not run. Its ELF header says ${built}; src/vers.l says ${declared}.`,
    )
    return declared
  }
}
