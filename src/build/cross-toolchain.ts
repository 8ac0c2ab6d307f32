import { existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as exec from '@actions/exec'
import { shellQuote } from './glibc-binding.js'
import { type TargetArchitecture, TRIPLE } from './sysroot.js'
import { type LlvmToolchain, which } from './toolchain.js'

/*
 * pil21 cross-compiles naturally: its core is LLVM IR without a target
 * (src/base.ll, ext.ll, ht.ll carry no triple and no data layout), lib.c is
 * compiled to IR by clang, and llc writes the assembly. A cross build gives
 * clang `--target` and `--sysroot`, llc `-mtriple`, links with lld (the
 * host's binutils know only the host) and strips with llvm-strip. The one
 * step that runs what it compiles is lib/sysdefs (see targetSysdefs).
 */

/** What make gets for a cross build, besides the native build's variables. */
export interface CrossMake {
  /** clang's flags: --target, --sysroot, -fuse-ld=lld. */
  clangArgs: string[]
  /** llc's flags: -mtriple. */
  llcArgs: string[]
  /** More make arguments: CPU, STRIP, and lib/sysdefs taken as made. */
  makeArgs: string[]
  /** pkg-config reads the sysroot's .pc files, with the sysroot's paths. */
  env: Record<string, string>
}

/** The uname -m a target reports, which pil21 bakes in as *CPU. */
const CPU = { x86_64: 'x86_64', arm64: 'aarch64' } as const

/** An LLVM tool of the toolchain's version: `<binDir>/<name>`, `<name>-<N>`, or `<name>`. */
export function llvmTool(llvm: LlvmToolchain, name: string): string | undefined {
  if (llvm.binDir && existsSync(path.join(llvm.binDir, name))) return path.join(llvm.binDir, name)
  if (llvm.major !== undefined && which(`${name}-${llvm.major}`)) return `${name}-${llvm.major}`
  return which(name)
}

/** The make arguments and environment that compile pil21 for `target` against `sysroot`. */
export function crossMake(target: TargetArchitecture, sysroot: string, strip: string): CrossMake {
  const triple = TRIPLE[target]
  return {
    clangArgs: [`--target=${triple}`, `--sysroot=${sysroot}`, '-fuse-ld=lld'],
    llcArgs: [`-mtriple=${triple}`],
    makeArgs: [`CPU=${CPU[target]}`, `STRIP=${shellQuote(strip)}`, '-o', '../lib/sysdefs'],
    env: {
      PKG_CONFIG_SYSROOT_DIR: sysroot,
      PKG_CONFIG_LIBDIR: [
        path.join(sysroot, 'usr', 'lib', triple, 'pkgconfig'),
        path.join(sysroot, 'usr', 'share', 'pkgconfig'),
      ].join(path.delimiter),
      // a PKG_CONFIG_PATH of the runner's would add the host's .pc files
      PKG_CONFIG_PATH: '',
    },
  }
}

/**
 * Target IR with the target removed: no triple, no data layout, no CPU or
 * features in the attributes. Sound only for IR that is straight calls with
 * constant arguments, as sysdefs.c's main is once clang has folded them.
 */
export function retarget(ir: string): string {
  return ir
    .replace(/^target (datalayout|triple) = .*\n/gm, '')
    .replace(/ "target-(cpu|features)"="[^"]*"/g, '')
}

async function run(command: string, args: string[], what: string): Promise<string> {
  const { exitCode, stdout, stderr } = await exec.getExecOutput(command, args, {
    ignoreReturnCode: true,
    silent: true,
  })
  if (exitCode !== 0) throw new Error(`${what} failed (exit ${exitCode}): ${stderr.trim()}`)
  return stdout
}

/**
 * Writes the tree's lib/sysdefs for the target without running target code.
 * pil21's Makefile compiles src/sysdefs.c and runs it: it prints the target's
 * constants and structure sizes. Here clang compiles it for the target, which
 * folds every sizeof, offsetof and constant into the printf calls; that IR,
 * its target removed, is compiled and run on the build machine and prints
 * the target's values.
 */
export async function targetSysdefs(
  sourceDir: string,
  clang: string,
  cross: CrossMake,
  target: TargetArchitecture,
  scratch: string,
): Promise<void> {
  await fs.mkdir(scratch, { recursive: true })
  const targetIr = path.join(scratch, 'sysdefs.target.ll')
  const hostIr = path.join(scratch, 'sysdefs.host.ll')
  const program = path.join(scratch, 'sysdefs')
  const defines = ['-D_OS="Linux"', `-D_CPU="${CPU[target]}"`]
  await run(
    clang,
    [...cross.clangArgs, '-w', ...defines, '-O1', '-S', '-emit-llvm', '-o', targetIr].concat(
      path.join(sourceDir, 'src', 'sysdefs.c'),
    ),
    `Compiling src/sysdefs.c for ${TRIPLE[target]}`,
  )
  await fs.writeFile(hostIr, retarget(await fs.readFile(targetIr, 'utf8')))
  await run(clang, ['-w', '-o', program, hostIr], 'Compiling the target sysdefs IR here')
  const sysdefs = await run(program, [], 'Running the target sysdefs program here')
  if (!sysdefs.includes(`# ${CPU[target]}\n`)) {
    throw new Error(`The sysdefs program printed no '# ${CPU[target]}' line: ${sysdefs}`)
  }
  await fs.mkdir(path.join(sourceDir, 'lib'), { recursive: true })
  await fs.writeFile(path.join(sourceDir, 'lib', 'sysdefs'), sysdefs)
}

/**
 * Compiles and links a tiny program for the target: proves lld, the sysroot's
 * C runtime and libc work together before make runs, and names the remedy.
 */
export async function checkCrossLink(
  clang: string,
  cross: CrossMake,
  scratch: string,
): Promise<void> {
  await fs.mkdir(scratch, { recursive: true })
  const source = path.join(scratch, 'probe.c')
  await fs.writeFile(source, '#include <stdio.h>\nint main(void) { return puts("") < 0; }\n')
  const { exitCode, stderr } = await exec.getExecOutput(
    clang,
    [...cross.clangArgs, '-o', path.join(scratch, 'probe'), source],
    { ignoreReturnCode: true, silent: true },
  )
  if (exitCode === 0) return
  const remedy = /ld\.lld|lld/.test(stderr)
    ? "Install LLVM's linker: sudo apt-get install -y lld."
    : 'The sysroot may be incomplete: remove its folder to fetch it again.'
  throw new Error(
    `Linking a test program for ${cross.llcArgs[0]} failed: ${stderr.trim()} ${remedy}`,
  )
}
