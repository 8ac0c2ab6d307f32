/**
 * Instructions per invocation, this tree's runtime against a baseline
 * commit's: a measure that load from elsewhere on the machine does not move,
 * unlike bench/runtime.ts's times. Each runtime serves 100 B echo events from
 * bench/runtime-api-server.c (the C server of bench/runtime.ts) under
 * valgrind's callgrind: 200 to warm up, a dump, 1000 more, a second dump,
 * which holds the user-space instructions of those 1000 alone (the kernel's
 * work is not counted). Three variants: the native library in the layer (as
 * the action builds it), runtime/'s Lisp code alone, and raw mode (no JSON)
 * with the library. A baseline from before the native library has only the
 * Lisp variants.
 * Run: BENCH_BASELINE=<git ref> npx tsx bench/runtime-instructions.ts
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildRuntimeLayer } from '../__tests__/support/runtime-layer.js'
import { buildServer, echo, RuntimeApiServer } from './runtime-api-server.js'
import {
  addNativeCodec,
  buildBaselineLayer,
  event,
  hasNativeCodec,
  makeTaskRoot,
  resolveRef,
} from './runtime-support.js'

const WORK = join(process.cwd(), '.bench-work')
const BASELINE = process.env.BENCH_BASELINE
const WARM = 200
const MEASURED = 1000

/** The PicoLisp that bootstrap would exec, under callgrind; -> instructions per invocation. */
async function instructions(
  serverExe: string,
  eventFile: string,
  layer: string,
  taskRoot: string,
  handler: string,
): Promise<number> {
  const out = join(WORK, `callgrind-${process.pid}.out`)
  const server = await RuntimeApiServer.start(serverExe, [eventFile])
  const pico = join(layer, 'picoLisp')
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      join(pico, 'bin', 'picolisp'),
      join(pico, 'lib.l'),
      join(pico, 'runtime', 'main.l'),
    ],
    {
      cwd: taskRoot,
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: taskRoot,
        _HANDLER: `${handler}.handler`,
        AWS_LAMBDA_RUNTIME_API: server.address,
      },
      stdio: 'ignore',
    },
  )
  const gone = new Promise((resolve) => child.once('exit', resolve))
  const dump = () =>
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' })
  try {
    await echo(server, 0, WARM, handler, gone)
    dump()
    await echo(server, 0, MEASURED, handler, gone)
    dump()
  } finally {
    child.kill('SIGKILL')
    server.stop()
  }
  const second = readFileSync(`${out}.2`, 'utf8')
  const total = /^(?:summary|totals): (\d+)/m.exec(second)?.[1]
  if (!total) throw new Error(`${out}.2: expected a "summary:" line from callgrind`)
  for (const n of ['', '.1', '.2']) rmSync(`${out}${n}`, { force: true })
  return Number(total) / MEASURED
}

async function main() {
  if (!BASELINE) throw new Error('BENCH_BASELINE: expected a git ref to compare with')
  const ref = resolveRef(BASELINE)
  mkdirSync(WORK, { recursive: true })
  const serverExe = buildServer(WORK)
  const eventFile = join(WORK, 'event-100.json')
  writeFileSync(eventFile, event(100))
  const taskRoot = makeTaskRoot()

  /** A layer of this tree (ref undefined) or of the baseline, with the library or not. */
  const layer = async (at: string | undefined, native: boolean) => {
    const dir = at ? await buildBaselineLayer(at) : await buildRuntimeLayer()
    if (native) addNativeCodec(dir, at)
    return dir
  }
  const baselineNative = hasNativeCodec(ref.id)
  const variants: [string, string, boolean][] = [
    ['native library, decode + encode', 'echo', true],
    ['Lisp code alone, decode + encode', 'echo', false],
    ['native library, raw mode (no JSON)', 'raw', true],
    ['Lisp code alone, raw mode (no JSON)', 'raw', false],
  ]
  const lines = [
    `Baseline: runtime/ of ${ref.label}; ${MEASURED} invocations of a 100 B echo after ${WARM}, C server`,
    '',
    '| runtime | baseline instructions/inv | this tree instructions/inv | this tree / baseline |',
    '|---|---:|---:|---:|',
  ]
  for (const [label, handler, native] of variants) {
    const now = await layer(undefined, native)
    const nowCount = await instructions(serverExe, eventFile, now, taskRoot, handler)
    rmSync(now, { recursive: true, force: true })
    let baseCount: number | undefined
    if (!native || baselineNative) {
      const base = await layer(ref.id, native)
      baseCount = await instructions(serverExe, eventFile, base, taskRoot, handler)
      rmSync(base, { recursive: true, force: true })
    }
    lines.push(
      `| ${label} | ${baseCount?.toFixed(0) ?? '–'} | ${nowCount.toFixed(0)} | ${baseCount ? (nowCount / baseCount).toFixed(3) : '–'} |`,
    )
    console.log(lines.at(-1))
  }
  rmSync(taskRoot, { recursive: true, force: true })
  console.log(lines.join('\n'))
  writeFileSync(join(WORK, 'runtime-instructions.md'), `${lines.join('\n')}\n`)
}

await main()
