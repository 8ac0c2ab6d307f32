import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as exec from '@actions/exec'
import { InputError } from '../inputs/input-error.js'
import type { CrossMake } from './cross-toolchain.js'
import { prepareGlibcBinding, shellQuote } from './glibc-binding.js'
import { foldShippedIr } from './ir-compat.js'
import { type LlvmToolchain, llvmMajor, makefileOptFlags, makeVariables } from './toolchain.js'

const LOG_TAIL_LINES = 30

/** The last lines of a build log, for an error message (the whole log is in its group). */
export function logTail(log: string): string {
  return log.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n')
}

const shellCommand = (words: string[]): string => words.map(shellQuote).join(' ')

/**
 * make's variables for this tree and toolchain, with the glibc-binding llc
 * when one is needed; for a cross build, the target's clang and llc flags too.
 */
async function variables(
  sourceDir: string,
  llvm: LlvmToolchain,
  bindingDir: string,
  env: Record<string, string>,
  cross?: CrossMake,
): Promise<string[]> {
  const makefile = await fs.readFile(path.join(sourceDir, 'src', 'Makefile'), 'utf8')
  const base = makeVariables(llvm, await llvmMajor(llvm), makefileOptFlags(makefile))
  const target = cross ?? { clangArgs: [], llcArgs: [], makeArgs: [] }
  const llc = await prepareGlibcBinding(llvm, bindingDir, env, undefined, target)
  const tools = [
    ...(cross ? [`CC=${shellCommand([llvm.clang, ...cross.clangArgs])}`] : []),
    ...(llc ? [`LLC=${shellQuote(llc)}`] : []),
    ...(!llc && cross ? [`LLC=${shellCommand([llvm.llc, ...cross.llcArgs])}`] : []),
  ]
  const replaced = tools.map((v) => v.slice(0, v.indexOf('=') + 1))
  return [
    ...base.filter((v) => !replaced.some((name) => v.startsWith(name))),
    ...tools,
    ...target.makeArgs,
  ]
}

/**
 * Runs `make` in pil21/src (`bindingDir`: a scratch folder for the glibc
 * binding); `cross` compiles for another target (see build/cross-toolchain.ts).
 * A failure shows the end of the log; the whole log is in a group.
 */
export async function compilePicoLisp(
  sourceDir: string,
  llvm: LlvmToolchain,
  bindingDir: string,
  cross?: CrossMake,
): Promise<void> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...cross?.env,
  }
  // Old pil21 Makefiles call llc and llvm-link by name: give them this version's folder.
  if (llvm.binDir) env.PATH = `${llvm.binDir}${path.delimiter}${env.PATH ?? ''}`
  await foldShippedIr(path.join(sourceDir, 'src'))
  const args = [
    '-C',
    path.join(sourceDir, 'src'),
    ...(await variables(sourceDir, llvm, bindingDir, env, cross)),
  ]
  let log = ''
  const code = await core.group(`make ${args.join(' ')}`, () =>
    exec.exec('make', args, {
      env,
      ignoreReturnCode: true,
      listeners: {
        stdout: (data) => {
          log += data.toString()
        },
        stderr: (data) => {
          log += data.toString()
        },
      },
    }),
  )
  if (code !== 0) {
    const tail = logTail(log)
    throw new Error(
      `Compiling PicoLisp failed (make exited with ${code}). Last lines of the log ` +
        `(the whole log is in the group above):\n${tail}`,
    )
  }
}

/**
 * What `(version)` of the interpreter in `home` prints, e.g. `23.2.8`; run
 * behind `prefix` when given (an emulator: `qemu-aarch64-static -L <root>`).
 */
export async function interpreterVersion(home: string, prefix: string[] = []): Promise<string> {
  const command = [
    ...prefix,
    path.join(home, 'bin', 'picolisp'),
    path.join(home, 'lib.l'),
    '-prinl (glue "." (version T))',
    '-bye',
  ]
  const { exitCode, stdout, stderr } = await exec.getExecOutput(command[0], command.slice(1), {
    ignoreReturnCode: true,
    silent: true,
  })
  const version = stdout.trim()
  if (exitCode !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      `The built interpreter does not run (exit ${exitCode}): ${(stderr || stdout).trim()}`,
    )
  }
  return version
}

/** The built interpreter must be the release that was asked for. */
export function checkVersion(requested: string, built: string): void {
  if (requested === 'rolling' || built.startsWith(`${requested}.`)) return
  throw new InputError(
    'picolisp-version',
    `asks for ${requested}, but the interpreter built from the source ` +
      `tarball reports ${built}. Check 'source-url' (and 'source-sha256').`,
  )
}
