/**
 * Instructions per invocation, runtime against a baseline commit's runtime:
 * a measure that load from elsewhere on the machine does not move, unlike
 * bench/runtime.ts's times. Each runtime serves 100 B echo events under
 * valgrind's callgrind: 100 to warm up, a dump, 1000 more, a second dump,
 * which holds the user-space instructions of those 1000 alone (the kernel's
 * work is not counted). Run: BENCH_BASELINE=<git ref> npx tsx bench/runtime-instructions.ts
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildRuntimeLayer } from '../__tests__/support/runtime-layer.js'
import { RuntimeApiEmulator } from '../src/invoke/runtime-api-emulator.js'
import { buildBaselineLayer, describeRef, event, makeTaskRoot } from './runtime-support.js'

const WORK = join(process.cwd(), '.bench-work')
const BASELINE = process.env.BENCH_BASELINE
const MEASURED = 1000

async function serve(emulator: RuntimeApiEmulator, body: string, n: number) {
  for (let i = 0; i < n; i++) {
    const o = await emulator.invoke(body)
    if (o.kind !== 'response' || o.body.length !== body.length)
      throw new Error(`bad answer ${o.kind}`)
  }
}

/** The PicoLisp that bootstrap would exec, under callgrind; -> instructions per invocation. */
async function instructions(layer: string, taskRoot: string, handler: string): Promise<number> {
  const out = join(WORK, `callgrind-${process.pid}.out`)
  const emulator = await new RuntimeApiEmulator().start()
  const pico = join(layer, 'picoLisp')
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, join(pico, 'bin', 'picolisp')].concat([
      join(pico, 'lib.l'),
      join(pico, 'runtime', 'main.l'),
    ]),
    {
      cwd: taskRoot,
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: taskRoot,
        _HANDLER: `${handler}.handler`,
        AWS_LAMBDA_RUNTIME_API: emulator.address,
      },
      stdio: 'ignore',
    },
  )
  emulator.attach(child)
  const dump = () =>
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' })
  const body = event(100)
  await serve(emulator, body, 100)
  dump()
  await serve(emulator, body, MEASURED)
  dump()
  child.kill('SIGKILL')
  await emulator.stop()
  const second = readFileSync(`${out}.2`, 'utf8')
  const total = /^(?:summary|totals): (\d+)/m.exec(second)?.[1]
  if (!total) throw new Error(`${out}.2: expected a "summary:" line from callgrind`)
  for (const n of ['', '.1', '.2']) rmSync(`${out}${n}`, { force: true })
  return Number(total) / MEASURED
}

async function main() {
  if (!BASELINE) throw new Error('BENCH_BASELINE: expected a git ref to compare with')
  mkdirSync(WORK, { recursive: true })
  const layers = {
    runtime: await buildRuntimeLayer(),
    baseline: await buildBaselineLayer(BASELINE),
  }
  const taskRoot = makeTaskRoot()
  const lines = [
    `Baseline: runtime/ of ${describeRef(BASELINE)}`,
    '',
    '| 100 B echo | baseline instructions/inv | runtime instructions/inv | runtime / baseline |',
    '|---|---:|---:|---:|',
  ]
  for (const handler of ['echo', 'raw']) {
    const base = await instructions(layers.baseline, taskRoot, handler)
    const now = await instructions(layers.runtime, taskRoot, handler)
    const label = handler === 'raw' ? 'raw mode (no JSON)' : 'decode + encode'
    lines.push(`| ${label} | ${base.toFixed(0)} | ${now.toFixed(0)} | ${(now / base).toFixed(3)} |`)
  }
  for (const dir of [...Object.values(layers), taskRoot])
    rmSync(dir, { recursive: true, force: true })
  console.log(lines.join('\n'))
  writeFileSync(join(WORK, 'runtime-instructions.md'), `${lines.join('\n')}\n`)
}

await main()
