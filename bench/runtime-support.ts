/** What bench/runtime.ts and bench/runtime-instructions.ts share: events, handlers, layers. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pilBin, pilHome } from '../__tests__/support/picolisp.js'
import { buildRuntimeLayer, linkLibFiles, nativeParts } from '../__tests__/support/runtime-layer.js'

const REPO = join(import.meta.dirname, '..')

/** Builds runtime/native/ into a library for one PicoLisp (issue 15's native codec). */
export const NATIVE_BUILD = 'scripts/build-native-json.sh'

/** A JSON object of about `bytes` bytes: a few fields and one long string. */
export function event(bytes: number): string {
  const head = { id: 'evt-1', n: 42, ok: true, tags: ['a', 'b'] }
  const base = JSON.stringify({ ...head, data: '' })
  return JSON.stringify({ ...head, data: 'x'.repeat(Math.max(0, bytes - base.length)) })
}

/**
 * A task root with echo.l (decode + encode), raw.l (the same echo undecoded)
 * and echo.mjs (the same echo for AWS's Node.js runtime client).
 */
export function makeTaskRoot(): string {
  const taskRoot = join(tmpdir(), `pil-bench-task-${process.pid}`)
  mkdirSync(taskRoot, { recursive: true })
  writeFileSync(join(taskRoot, 'echo.l'), '(de handler (Event Headers) Event)\n')
  writeFileSync(join(taskRoot, 'echo.mjs'), 'export const handler = async (event) => event\n')
  // The HTTP path alone
  writeFileSync(
    join(taskRoot, 'raw.l'),
    '(on *LambdaRawEvent)\n(de handler (Event Headers) Event)\n',
  )
  return taskRoot
}

function git(args: string[]): Buffer {
  return execFileSync('git', args, { cwd: REPO })
}

/**
 * The commit `ref` names now (a branch may move during a run), and a label:
 * `ref` and the short id, e.g. "main (d77cbd3)"; a short id alone as itself.
 */
export function resolveRef(ref: string): { id: string; label: string } {
  const id = git(['rev-parse', `${ref}^{commit}`])
    .toString()
    .trim()
  const short = id.slice(0, 7)
  return { id, label: id.startsWith(ref) ? short : `${ref} (${short})` }
}

/** Whether commit `ref` has `file`. */
function exists(ref: string, file: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${ref}:${file}`], { cwd: REPO, stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Whether commit `ref` has the native library (its build script). */
export function hasNativeCodec(ref: string): boolean {
  return exists(ref, NATIVE_BUILD)
}

/** A layer as buildRuntimeLayer's, with bootstrap and runtime/*.l as of commit `ref`. */
export async function buildBaselineLayer(ref: string): Promise<string> {
  const layer = await buildRuntimeLayer()
  const runtimeDir = join(layer, 'picoLisp', 'runtime')
  rmSync(runtimeDir, { recursive: true })
  mkdirSync(runtimeDir)
  const paths = git(['ls-tree', '--name-only', ref, 'runtime/']).toString().split('\n')
  for (const path of paths.filter((p) => p.endsWith('.l') || p.endsWith('/bootstrap'))) {
    const name = basename(path)
    const to = name === 'bootstrap' ? join(layer, 'bootstrap') : join(runtimeDir, name)
    rmSync(to, { force: true })
    writeFileSync(to, git(['show', `${ref}:${path}`]), { mode: 0o755 })
  }
  return layer
}

/**
 * Puts the native JSON codec into `layer` as picoLisp/lib/lambdajson.so,
 * built for the layer's PicoLisp by NATIVE_BUILD, from this tree or, with
 * `ref`, from that commit's script and runtime/native/ files; then checks
 * that runtime/json-native.l takes it (it falls back on the Lisp codec silently).
 * The layer's lib/ is a link to the PicoLisp home's: it becomes a folder of
 * links to the home's files, so that nothing is written into the home.
 */
export function addNativeCodec(layer: string, ref?: string): void {
  const lib = join(layer, 'picoLisp', 'lib')
  linkLibFiles(lib, pilHome)
  let root = REPO
  if (ref) {
    root = mkdtempSync(join(tmpdir(), 'pil-native-src-'))
    const files = [NATIVE_BUILD, 'runtime/native/json.l', 'runtime/native/http.l']
    for (const path of files.filter((file) => exists(ref, file))) {
      mkdirSync(join(root, path, '..'), { recursive: true })
      writeFileSync(join(root, path), git(['show', `${ref}:${path}`]), { mode: 0o755 })
    }
  }
  execFileSync(join(root, NATIVE_BUILD), [pilHome, join(lib, 'lambdajson.so'), pilBin])
  if (ref) rmSync(root, { recursive: true, force: true })
  if (!nativeParts(layer).codec)
    throw new Error(`${layer}: runtime/json-native.l did not take lib/lambdajson.so`)
}
