import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pilBin, pilHome } from './picolisp.js'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The codec, as runtime/main.l loads it: json.l, json-fast.l, then json-native.l. */
export const codec = ['json.l', 'json-fast.l', 'json-native.l'].map((file) =>
  path.join(repoRoot, 'runtime', file),
)
const driver = path.join(repoRoot, '__tests__', 'support', 'json-driver.l')

export interface DriverRun {
  lines: string[]
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

/** Runs one PicoLisp process with the codec and the driver, feeding `input` on stdin. */
export function runDriver(
  entry: 'json-test-files' | 'json-test-eval' | 'json-test-eval-raw',
  input: string,
  timeoutMs = 60_000,
): Promise<DriverRun> {
  return runPicoLisp([...codec, driver], entry, input, timeoutMs)
}

/** Runs PicoLisp on lib.l, `files` and the function `entry`, feeding `input` on stdin. */
export function runPicoLisp(
  files: string[],
  entry: string,
  input: string,
  timeoutMs: number,
): Promise<DriverRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pilBin, [path.join(pilHome, 'lib.l'), ...files, `-${entry}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    // A hang is a failure too: kill the process and report what it printed.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const text = Buffer.concat(out).toString('utf8')
      resolve({
        lines: text.split('\n').filter((l) => l !== ''),
        code,
        signal,
        stderr: Buffer.concat(err).toString('utf8'),
      })
    })
    child.stdin.on('error', () => {}) // the process may die before reading everything
    child.stdin.end(input)
  })
}

export type Outcome =
  | { status: 'ok'; json: string }
  | { status: 'error'; message: string }
  | { status: 'crash'; detail: string }

/**
 * Decodes and re-encodes each file. All files go through one process; any file
 * without a result line (the process died on it) is run again alone to find out
 * which one crashed.
 */
export async function decodeFiles(files: string[]): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>()
  const collect = (lines: string[]) => {
    for (const line of lines) {
      const [status, file, ...rest] = line.split('\t')
      const payload = rest.join('\t')
      if (status === 'ok') results.set(file, { status, json: payload })
      else if (status === 'error') results.set(file, { status, message: payload })
    }
  }
  collect((await runDriver('json-test-files', `${files.join('\n')}\n`)).lines)
  for (const file of files.filter((f) => !results.has(f))) {
    const run = await runDriver('json-test-files', `${file}\n`, 20_000)
    collect(run.lines)
    if (!results.has(file)) {
      results.set(file, {
        status: 'crash',
        detail: `exit ${run.code} signal ${run.signal}: ${run.stderr.slice(0, 500)}`,
      })
    }
  }
  return results
}

export type EvalResult = { ok: true; value: string } | { ok: false; message: string }

/**
 * Evaluates Lisp expressions in one process; each yields its printed value (or with
 * `raw`, the string it returns) or its error.
 */
export async function evalLisp(exprs: string[], raw = false): Promise<EvalResult[]> {
  const entry = raw ? 'json-test-eval-raw' : 'json-test-eval'
  const run = await runDriver(entry, `${exprs.join('\n')}\n`)
  if (run.lines.length !== exprs.length) {
    throw new Error(
      `expected ${exprs.length} results, got ${run.lines.length} (exit ${run.code}, signal ${run.signal}): ${run.stderr}`,
    )
  }
  return run.lines.map((line) => {
    const tab = line.indexOf('\t')
    const status = line.slice(0, tab)
    const rest = line.slice(tab + 1)
    return status === 'ok' ? { ok: true, value: rest } : { ok: false, message: rest }
  })
}

/** A JavaScript string as a PicoLisp string literal, written the way PicoLisp prints one. */
export function lispString(s: string): string {
  const lispChar = (c: string) => {
    const code = c.charCodeAt(0)
    if (code === 0x7f) return '^?'
    if (code < 0x20) return `^${String.fromCharCode(code + 64)}`
    return c === '\\' || c === '"' || c === '^' ? `\\${c}` : c
  }
  return `"${Array.from(s, lispChar).join('')}"`
}
