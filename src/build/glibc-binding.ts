import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as exec from '@actions/exec'
import { GLIBC_LIBRARIES, MAX_GLIBC } from '../common/lambda-limits.js'
import { compareVersions } from '../common/versions.js'

/*
 * Why: glibc gives a function a new symbol version when its behaviour changes
 * and keeps the old one (glibc 2.38's fmod@@GLIBC_2.38 beside fmod@GLIBC_2.2.5).
 * A binary linked on a newer glibc (ubuntu-latest: 2.39) asks for the newest,
 * which provided.al2023's glibc 2.34 lacks, so it would not load there.
 *
 * How: an assembler `.symver fmod, fmod@GLIBC_2.2.5` in the object that calls
 * fmod binds the call to that version. The action reads which symbols need it
 * from the build machine's own libc (defaults newer than 2.34 that keep a
 * version no newer than 2.34), so it needs no download, no sysroot, no Docker.
 * The directives go in front of every assembly file llc writes: each ELF file
 * of the layer (interpreter, ext.so, ht.so) is assembled from llc's output by
 * pil21's Makefile, whereas a header force-included into the C compiles would
 * miss ext.so and ht.so, which have no C source. A symbol with no old version
 * (a function new in glibc 2.35 or later) cannot be bound: the compatibility
 * check still stops such a layer.
 */

/** A symbol whose default version is newer than provided.al2023's glibc, and the version to use. */
export interface Binding {
  symbol: string
  /** The newest version no newer than MAX_GLIBC, e.g. `2.2.5`. */
  version: string
  /** The default version a plain link would pick, e.g. `2.38`. */
  newest: string
}

/** One `readelf -W --dyn-syms` line of a defined, versioned glibc symbol. */
const DEFINED_SYMBOL =
  /^\s*\d+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+([^@\s]+)(@@?)GLIBC_([\d.]+)/

/**
 * Bindings from the exports of glibc's libraries (`readelf -W --dyn-syms`
 * output): every symbol whose default (`@@`) version is newer than `max` and
 * that also has a version no newer than `max`, bound to the newest of those.
 */
export function olderBindings(readelfOutput: string, max = MAX_GLIBC): Binding[] {
  const defaults = new Map<string, string>()
  const others = new Map<string, string[]>()
  for (const line of readelfOutput.split('\n')) {
    const match = DEFINED_SYMBOL.exec(line)
    if (!match || match[1] === 'UND') continue
    const [, , symbol, at, version] = match
    if (at === '@@') defaults.set(symbol, version)
    else others.set(symbol, [...(others.get(symbol) ?? []), version])
  }
  const bindings: Binding[] = []
  for (const [symbol, newest] of defaults) {
    if (compareVersions(newest, max) <= 0) continue
    const [version] = (others.get(symbol) ?? [])
      .filter((v) => compareVersions(v, max) <= 0)
      .sort((a, b) => compareVersions(b, a))
    if (version) bindings.push({ symbol, version, newest })
  }
  return bindings.sort((a, b) => a.symbol.localeCompare(b.symbol))
}

/** Assembler directives binding each symbol's references to its chosen version. */
export function symverDirectives(bindings: Binding[]): string {
  return bindings.map((b) => `\t.symver ${b.symbol}, ${b.symbol}@GLIBC_${b.version}\n`).join('')
}

/** Quotes a word for sh (make runs its recipes with /bin/sh). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * A sh script that runs `llc` (with `llcArgs` first: a cross build's -mtriple)
 * and puts the directives file in front of the assembly it wrote.
 */
export function llcWrapper(llc: string, directivesFile: string, llcArgs: string[] = []): string {
  return `#!/bin/sh
# Written by picolisp-lambda-action: runs llc, then binds glibc symbols to versions
# provided.al2023 has, with the .symver directives in front of the assembly llc wrote.
set -e
${[llc, ...llcArgs].map(shellQuote).join(' ')} "$@"
out=
prev=
for arg in "$@"; do
  if [ "$prev" = -o ]; then out=$arg; fi
  prev=$arg
done
if [ -z "$out" ]; then
  echo "llc wrapper: expected '-o <file>' among the arguments: $*" >&2
  exit 1
fi
cat ${shellQuote(directivesFile)} "$out" > "$out.glibc"
mv "$out.glibc" "$out"
`
}

/**
 * `readelf -W --dyn-syms` of every glibc library clang links against: this
 * machine's, or with a cross build's `--target`/`--sysroot` in `clangArgs`, the sysroot's.
 */
async function glibcExports(
  clang: string,
  env: Record<string, string>,
  clangArgs: string[],
): Promise<string> {
  let exports = ''
  for (const library of GLIBC_LIBRARIES) {
    const { stdout } = await exec.getExecOutput(
      clang,
      [...clangArgs, `-print-file-name=${library}`],
      {
        env,
        silent: true,
      },
    )
    const file = stdout.trim()
    // clang prints the bare name when it finds no such file.
    if (!path.isAbsolute(file)) continue
    exports += (await exec.getExecOutput('readelf', ['-W', '--dyn-syms', file], { silent: true }))
      .stdout
  }
  return exports
}

/** A cross build's arguments: clang's `--target`/`--sysroot`, llc's `-mtriple`. */
export interface BindingTarget {
  clangArgs: string[]
  llcArgs: string[]
}

/**
 * When the glibc linked against (this machine's, or a cross build's sysroot's)
 * has symbols newer than `max` (provided.al2023's), writes an llc wrapper into
 * `dir` that binds them to older versions, and returns its path for make's
 * LLC; returns undefined when nothing needs binding.
 */
export async function prepareGlibcBinding(
  llvm: { clang: string; llc: string },
  dir: string,
  env: Record<string, string>,
  max = MAX_GLIBC,
  target: BindingTarget = { clangArgs: [], llcArgs: [] },
): Promise<string | undefined> {
  const bindings = olderBindings(await glibcExports(llvm.clang, env, target.clangArgs), max)
  if (bindings.length === 0) return undefined
  return writeGlibcBinding(bindings, dir, { llc: llvm.llc, llcArgs: target.llcArgs, max })
}

export interface BindingWrapper {
  /** The llc the wrapper runs, and its arguments (a cross build's -mtriple). */
  llc: string
  llcArgs?: string[]
  max?: string
  /** Where make finds the folder, when not where it is here (a container's mount). */
  seenAs?: string
  /** Whose glibc it is, for the log: "this glibc's", "the builder image's". */
  whose?: string
}

/**
 * Logs each binding and writes the directives and the llc wrapper into `dir`
 * -> the wrapper's path, as make sees it.
 */
export async function writeGlibcBinding(
  bindings: Binding[],
  dir: string,
  { llc, llcArgs = [], max = MAX_GLIBC, seenAs = dir, whose = "this glibc's" }: BindingWrapper,
): Promise<string> {
  for (const b of bindings) {
    core.info(
      `Binding ${b.symbol} to ${b.symbol}@GLIBC_${b.version}: ${whose} default, GLIBC_${b.newest}, ` +
        `is newer than the layer's target, glibc ${max}.`,
    )
  }
  await fs.mkdir(dir, { recursive: true })
  await fs.writeFile(path.join(dir, 'glibc-symver.s'), symverDirectives(bindings))
  const wrapper = llcWrapper(llc, path.posix.join(seenAs, 'glibc-symver.s'), llcArgs)
  await fs.writeFile(path.join(dir, 'llc'), wrapper, { mode: 0o755 })
  return path.posix.join(seenAs, 'llc')
}
