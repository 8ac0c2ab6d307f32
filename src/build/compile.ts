import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as exec from '@actions/exec'
import { prepareGlibcBinding, shellQuote } from './glibc-binding.js'
import { foldShippedIr } from './ir-compat.js'
import { type LlvmToolchain, llvmMajor, makefileOptFlags, makeVariables } from './toolchain.js'
import { InputError } from '../inputs/input-error.js'

const LOG_TAIL_LINES = 30

/** make's variables for this tree and toolchain, with the glibc-binding llc when one is needed. */
async function variables(
  sourceDir: string,
  llvm: LlvmToolchain,
  bindingDir: string,
  env: Record<string, string>,
): Promise<string[]> {
  const makefile = await fs.readFile(path.join(sourceDir, 'src', 'Makefile'), 'utf8')
  const base = makeVariables(llvm, await llvmMajor(llvm), makefileOptFlags(makefile))
  const llc = await prepareGlibcBinding(llvm, bindingDir, env)
  if (!llc) return base
  return [...base.filter((v) => !v.startsWith('LLC=')), `LLC=${shellQuote(llc)}`]
}

/**
 * Runs `make` in pil21/src (`bindingDir`: a scratch folder for the glibc
 * binding). A failure shows the end of the log; the whole log is in a group.
 */
export async function compilePicoLisp(
  sourceDir: string,
  llvm: LlvmToolchain,
  bindingDir: string,
): Promise<void> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) }
  // Old pil21 Makefiles call llc and llvm-link by name: give them this version's folder.
  if (llvm.binDir) env.PATH = `${llvm.binDir}${path.delimiter}${env.PATH ?? ''}`
  await foldShippedIr(path.join(sourceDir, 'src'))
  const args = [
    '-C',
    path.join(sourceDir, 'src'),
    ...(await variables(sourceDir, llvm, bindingDir, env)),
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
    const tail = log.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n')
    throw new Error(
      `Compiling PicoLisp failed (make exited with ${code}). Last lines of the log ` +
        `(the whole log is in the group above):\n${tail}`,
    )
  }
}

/** What `(version)` of the interpreter in `home` prints, e.g. `23.2.8`. */
export async function interpreterVersion(home: string): Promise<string> {
  const { exitCode, stdout, stderr } = await exec.getExecOutput(
    path.join(home, 'bin', 'picolisp'),
    [path.join(home, 'lib.l'), '-prinl (glue "." (version T))', '-bye'],
    { ignoreReturnCode: true, silent: true },
  )
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
