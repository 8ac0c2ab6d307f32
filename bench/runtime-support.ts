/** What bench/runtime.ts and bench/runtime-instructions.ts share: events, handlers, layers. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { buildRuntimeLayer } from '../__tests__/support/runtime-layer.js'

const REPO = join(import.meta.dirname, '..')

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

/** `ref` and its short commit id, e.g. "main (d77cbd3)". */
export function describeRef(ref: string): string {
  return `${ref} (${git(['rev-parse', '--short', `${ref}^{commit}`])
    .toString()
    .trim()})`
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
