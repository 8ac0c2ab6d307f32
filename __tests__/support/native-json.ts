import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { NATIVE_SOURCES } from '../../src/build/native-codec.js'
import { codec, type DriverRun, repoRoot, runPicoLisp } from './json-pil.js'
import { pilBin, pilHome, pilSource, pilVersion } from './picolisp.js'

const run = promisify(execFile)

const sources = NATIVE_SOURCES.map((file) => path.join(repoRoot, 'runtime', 'native', file))
const script = path.join(repoRoot, 'scripts', 'build-native-json.sh')
const driver = path.join(repoRoot, '__tests__', 'support', 'native-json-driver.l')

/**
 * The native codec built for the PicoLisp the tests run (PIL_HOME), with
 * scripts/build-native-json.sh, cached by that version and the sources: a
 * folder holding `lambdajson.so` and `native.l`, which makes runtime/json-native.l load
 * it (load it first).
 */
export async function buildNativeCodec(): Promise<{ lib: string; preload: string }> {
  // The home's own tree where it has one (a compiled release), else the source tree
  const tree = existsSync(path.join(pilHome, 'src', 'lib', 'llvm.l')) ? pilHome : pilSource().tree
  const hash = createHash('sha256')
  for (const file of sources) hash.update(readFileSync(file))
  const digest = hash.update(readFileSync(script)).update(tree).digest('hex').slice(0, 16)
  const dir = path.join(os.tmpdir(), `lambdajson-${pilVersion}-${digest}`)
  const lib = path.join(dir, 'lambdajson.so')
  const preload = path.join(dir, 'native.l')
  if (!existsSync(preload)) {
    mkdirSync(dir, { recursive: true })
    const partial = `${lib}.${process.pid}`
    await run(script, [tree, partial, pilBin], { timeout: 300_000 })
    renameSync(partial, lib)
    writeFileSync(preload, `(setq *LambdaJsonNativeLib "${lib}")\n`)
  }
  return { lib, preload }
}

export type NativeRun = DriverRun

/** Runs the native driver's `entry` in one PicoLisp process, `input` on stdin. */
export function runNativeDriver(
  preload: string,
  entry: 'native-json-files' | 'native-json-encodings',
  input: string,
  timeoutMs = 120_000,
): Promise<NativeRun> {
  return runPicoLisp([preload, ...codec, driver], entry, input, timeoutMs)
}

/** How one codec did on one input: "ok" with the printed value and JSON, or "error". */
export interface Outcome {
  status: string
  value: string
  json: string
}

export interface FileResult {
  file: string
  /** Whether the library alone decoded it ("native") or gave up ("fallback"). */
  path: string
  native: Outcome
  lisp: Outcome
  nativeChannel: Outcome
  lispChannel: Outcome
}

/** Decodes (and re-encodes) each file both ways, in one process; throws if it died. */
export async function decodeFilesBothWays(preload: string, files: string[]): Promise<FileResult[]> {
  const result = await runNativeDriver(preload, 'native-json-files', `${files.join('\n')}\n`)
  if (result.lines.length !== files.length) {
    const last = result.lines.at(-1)?.split('\t')[0]
    throw new Error(
      `expected ${files.length} results, got ${result.lines.length} (after ${last}; exit ${result.code}, signal ${result.signal}): ${result.stderr.slice(0, 1000)}`,
    )
  }
  return result.lines.map((line) => {
    const f = line.split('\t')
    const outcome = (i: number): Outcome => ({
      status: f[i] as string,
      value: f[i + 1] as string,
      json: f[i + 2] as string,
    })
    return {
      file: f[0] as string,
      path: f[1] as string,
      native: outcome(2),
      lisp: outcome(5),
      nativeChannel: outcome(8),
      lispChannel: outcome(11),
    }
  })
}

/** Writes each input (name -> bytes) into a new folder; returns the paths in order. */
export function writeInputs(dir: string, inputs: [string, Buffer][]): string[] {
  mkdirSync(dir, { recursive: true })
  return inputs.map(([name, bytes]) => {
    const file = path.join(dir, name)
    writeFileSync(file, bytes)
    return file
  })
}
