/**
 * Runtime benchmark: µs per echo invocation at 100 B, 100 KB and 1 MB of a
 * C floor client, this runtime (each variant) and AWS's Node.js runtime client,
 * each against its own bench/runtime-api-server.c (Lambda's framing: bodies
 * over 2048 bytes chunked); cold start; resident memory.
 *
 * The server times each batch itself, from the first event sent to the last
 * answer read, and checks every answer is the event byte for byte. Clients
 * take turns in ROUNDS rounds; in each round every client serves about
 * TURN_MS per size, in batches of about SLICE_MS taken in turn, the order
 * rotating, so a burst of load from elsewhere on the machine hits every
 * client alike (turns of a whole round each let one client's figure swing by
 * 10x on a busy machine). Ratios are taken within a round and given as the
 * median and the range over rounds.
 *
 * Run: npm run bench:runtime. BENCH_ROUNDS (9), BENCH_TURN_MS (300), BENCH_SLICE_MS (25);
 * BENCH_BASELINE=<git ref> adds that commit's runtime/ at 100 B; the native
 * codec is measured once the tree has it, or from BENCH_NATIVE_REF=<git ref>;
 * BENCH_LAYERS="name=/layer/folder,..." adds prebuilt layers as runtimes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildRuntimeLayer } from '../__tests__/support/runtime-layer.js'
import { buildServer, echo, RuntimeApiServer } from './runtime-api-server.js'
import {
  addNativeCodec,
  buildBaselineLayer,
  event,
  makeTaskRoot,
  NATIVE_BUILD,
  resolveRef,
} from './runtime-support.js'

const WORK = join(process.cwd(), '.bench-work')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const TURN_MS = Number(process.env.BENCH_TURN_MS ?? 300)
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 25)
const COLD_RUNS = 21
const RIC_VERSION = '4.0.2'

const SIZES = [
  { label: '100 B', bytes: 100 },
  { label: '100 KB', bytes: 100 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
] as const
type Size = (typeof SIZES)[number]['label']
const ALL_SIZES: Size[] = SIZES.map((s) => s.label)

/** What Lambda sets for every runtime (aws-lambda-ric refuses to run without it). */
const LAMBDA_ENV = {
  PATH: process.env.PATH,
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/bench',
  AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/29/[$LATEST]0123456789abcdef',
}

/** A client to measure: how to start it, given AWS_LAMBDA_RUNTIME_API. */
interface ClientSpec {
  name: string
  role: 'floor' | 'runtime' | 'ric' | 'other'
  sizes: Size[]
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
}

/** A runtime variant: one layer folder, a handler of the task root, extra environment. */
interface Variant {
  name: string
  layer: string
  handler?: 'echo' | 'raw'
  env?: NodeJS.ProcessEnv
  sizes?: Size[]
  /** Not a runtime to rate against the goals (baseline, raw mode). */
  aside?: boolean
  /** A layer this run built, removed at the end. */
  temporary?: boolean
}

function runtimeSpec(v: Variant, taskRoot: string): ClientSpec {
  return {
    name: v.name,
    role: v.aside ? 'other' : 'runtime',
    sizes: v.sizes ?? ALL_SIZES,
    file: join(v.layer, 'bootstrap'),
    args: [],
    env: {
      ...LAMBDA_ENV,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: `${v.handler ?? 'echo'}.handler`,
      ...v.env,
    },
    cwd: taskRoot,
  }
}

/**
 * The runtimes measured, each one entry. Today's runtime decodes and encodes
 * with runtime/json.l ("Lisp codec"); a layer with the native codec is one
 * more entry (or, before it is built in, BENCH_LAYERS="native codec=<layer>").
 */
async function runtimeVariants(): Promise<Variant[]> {
  const layer = await buildRuntimeLayer()
  const variants: Variant[] = [{ name: 'runtime (Lisp codec)', layer, temporary: true }]
  // The native codec: from this tree once it has it, or from BENCH_NATIVE_REF's commit
  const nativeRef = process.env.BENCH_NATIVE_REF && resolveRef(process.env.BENCH_NATIVE_REF)
  let raw = layer
  if (nativeRef || existsSync(join(import.meta.dirname, '..', NATIVE_BUILD))) {
    const native = nativeRef ? await buildBaselineLayer(nativeRef.id) : await buildRuntimeLayer()
    addNativeCodec(native, nativeRef ? nativeRef.id : undefined)
    const name = nativeRef ? `runtime (native codec, ${nativeRef.label})` : 'runtime (native codec)'
    variants.push({ name, layer: native, temporary: true })
    raw = native
  }
  // The HTTP path alone, in the layer as the action builds it (with the library)
  variants.push({
    name: 'runtime, raw mode (no JSON)',
    layer: raw,
    handler: 'raw',
    sizes: ['100 B'],
    aside: true,
  })
  for (const entry of (process.env.BENCH_LAYERS ?? '').split(',').filter(Boolean)) {
    const [name, folder] = entry.split('=') as [string, string | undefined]
    if (!folder || !existsSync(join(folder, 'bootstrap')))
      throw new Error(`BENCH_LAYERS: expected name=<layer folder with bootstrap>, got ${entry}`)
    variants.push({ name: `runtime (${name})`, layer: folder })
  }
  const ref = process.env.BENCH_BASELINE && resolveRef(process.env.BENCH_BASELINE)
  // Only at 100 B: runtimes before chunked reading (issue 8) cannot read larger events
  if (ref)
    variants.push({
      name: `runtime of ${ref.label}`,
      layer: await buildBaselineLayer(ref.id),
      sizes: ['100 B'],
      aside: true,
      temporary: true,
    })
  return variants
}

function buildFloor(): string {
  const exe = join(WORK, 'floor-client')
  execFileSync('cc', ['-O2', '-o', exe, join(import.meta.dirname, 'floor-client.c')])
  return exe
}

/**
 * AWS's Node.js runtime interface client, in a folder of the benchmark's own
 * (its install compiles curl and aws-lambda-cpp from the tarballs it ships:
 * minutes, once). It asks for Node 22 and runs on 20.
 */
function installRic(): string {
  const dir = join(WORK, `aws-lambda-ric-${RIC_VERSION}`)
  const index = join(dir, 'node_modules', 'aws-lambda-ric', 'index.mjs')
  const native = join(dir, 'node_modules', 'aws-lambda-ric', 'rapid-client.node')
  if (existsSync(native)) return index
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n')
  console.error(`Installing aws-lambda-ric@${RIC_VERSION} into ${dir} (builds curl: minutes)`)
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--engine-strict=false',
      `aws-lambda-ric@${RIC_VERSION}`,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (!existsSync(native)) throw new Error(`aws-lambda-ric: its install built no ${native}`)
  return index
}

function ricSpec(index: string, taskRoot: string): ClientSpec {
  return {
    name: `AWS's Node.js client (aws-lambda-ric ${RIC_VERSION})`,
    role: 'ric',
    sizes: ALL_SIZES,
    file: process.execPath,
    args: [index],
    env: { ...LAMBDA_ENV, LAMBDA_TASK_ROOT: taskRoot, _HANDLER: 'echo.handler' },
    cwd: taskRoot,
  }
}

interface Running {
  spec: ClientSpec
  server: RuntimeApiServer
  child: ChildProcess
  /** Rejects when the client exits, with the end of its stderr. */
  gone: Promise<unknown>
  /** The first line it wrote to stderr. */
  firstLine: Promise<string>
}

/** Starts a server and the client on it; `wrap` runs it through bash for cold start. */
async function startClient(
  spec: ClientSpec,
  serverExe: string,
  eventFiles: string[],
  wrap = false,
): Promise<Running> {
  const server = await RuntimeApiServer.start(serverExe, eventFiles)
  const env = { ...spec.env, AWS_LAMBDA_RUNTIME_API: server.address }
  // bash notes the time just before it execs the client, leaving Node's spawn out
  const [file, args] = wrap
    ? ['bash', ['-c', 'echo "$EPOCHREALTIME" >&2; exec "$@"', 'bash', spec.file, ...spec.args]]
    : [spec.file, spec.args]
  const child = spawn(file, args, { env, cwd: spec.cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let gotLine: (line: string) => void = () => {}
  const firstLine = new Promise<string>((resolve) => {
    gotLine = resolve
  })
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString()
    if (stderr.includes('\n')) gotLine(stderr.slice(0, stderr.indexOf('\n')))
  })
  const gone = new Promise((resolve) => child.on('exit', resolve)).then(() => {
    throw new Error(`${spec.name} exited: ${stderr.slice(-2000)}`)
  })
  gone.catch(() => {})
  await Promise.race([server.firstNext, gone])
  return { spec, server, child, gone, firstLine }
}

function stopClient(c: Running): void {
  c.child.kill('SIGKILL')
  c.server.stop()
}

/** Invocations of one batch so that it takes about SLICE_MS (at least 1), after a warm-up. */
async function calibrate(c: Running, index: number): Promise<number> {
  await echo(c.server, index, 5, c.spec.name, c.gone)
  let n = 1
  for (;;) {
    const us = await echo(c.server, index, n, c.spec.name, c.gone)
    if (us * n >= 50_000 || n >= 100_000) return Math.max(1, Math.round((SLICE_MS * 1000) / us))
    n *= 4
  }
}

/**
 * CPU time a process has used, all its threads, in µs: the first field of each
 * thread's schedstat, in ns (exact, where /proc/<pid>/stat counts 10 ms ticks).
 * What it costs whatever else runs on the machine, unlike wall-clock time.
 * Threads that ended are left out (Node's workers live as long as it does).
 */
function cpuMicros(pid: number): number {
  let ns = 0
  for (const task of readdirSync(`/proc/${pid}/task`))
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
  return ns / 1e3
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1])
}

/**
 * Per client and size: µs/inv of each round, CPU µs/inv (client + server) of
 * each round, and CPU µs/inv over all rounds of client and server apart.
 */
interface Measured {
  rounds: number[]
  cpuRounds: number[]
  invocations: number
  clientCpu: number
  serverCpu: number
}

async function measure(clients: Running[]): Promise<Map<string, Measured>> {
  const key = (c: Running, s: Size) => `${c.spec.name}\t${s}`
  const batch = new Map<string, number>()
  const out = new Map<string, Measured>()
  for (const [index, { label }] of SIZES.entries())
    for (const c of clients.filter((c) => c.spec.sizes.includes(label))) {
      batch.set(key(c, label), await calibrate(c, index))
      out.set(key(c, label), {
        rounds: [],
        cpuRounds: [],
        invocations: 0,
        clientCpu: 0,
        serverCpu: 0,
      })
    }
  const passes = Math.max(1, Math.round(TURN_MS / SLICE_MS))
  for (let round = 0; round < ROUNDS; round++)
    for (const [index, { label }] of SIZES.entries()) {
      const here = clients.filter((c) => c.spec.sizes.includes(label))
      const us = here.map(() => 0)
      const cpu = here.map(() => 0)
      const count = here.map(() => 0)
      for (let pass = 0; pass < passes; pass++)
        for (let k = 0; k < here.length; k++) {
          const i = (round + pass + k) % here.length
          const c = here[i] as Running
          const m = out.get(key(c, label)) as Measured
          const n = batch.get(key(c, label)) as number
          const [cpu0, server0] = [cpuMicros(c.child.pid as number), c.server.cpuNs()]
          us[i] += (await echo(c.server, index, n, c.spec.name, c.gone)) * n
          const [client, server] = [
            cpuMicros(c.child.pid as number) - cpu0,
            (c.server.cpuNs() - server0) / 1e3,
          ]
          m.clientCpu += client
          m.serverCpu += server
          cpu[i] += client + server
          count[i] += n
        }
      for (const [i, c] of here.entries()) {
        const m = out.get(key(c, label)) as Measured
        m.rounds.push((us[i] as number) / (count[i] as number))
        m.cpuRounds.push((cpu[i] as number) / (count[i] as number))
        m.invocations += count[i] as number
      }
    }
  for (const m of out.values()) {
    m.clientCpu /= m.invocations
    m.serverCpu /= m.invocations
  }
  return out
}

/** Median ms from exec to the first GET /next, runs interleaved across clients. */
async function coldStarts(specs: ClientSpec[], serverExe: string, files: string[]) {
  const times = specs.map(() => [] as number[])
  for (let run = 0; run < COLD_RUNS; run++)
    for (const [i, spec] of specs.entries()) {
      const c = await startClient(spec, serverExe, files, true)
      const execAt = Number((await c.firstLine).replace(',', '.')) * 1e6
      times[i]?.push(((await c.server.firstNext) - execAt) / 1000)
      stopClient(c)
    }
  return times.map(median)
}

/** When RSS is read: flat after the first thousand means no leak, only warm-up. */
const RSS_AFTER = [100, 1_000, 10_000, 30_000]

/** VmRSS in kB of a fresh client after each count of 100 B invocations in RSS_AFTER. */
async function rssFlat(spec: ClientSpec, serverExe: string, files: string[]) {
  const c = await startClient(spec, serverExe, files)
  const kB: number[] = []
  let done = 0
  for (const count of RSS_AFTER) {
    await echo(c.server, 0, count - done, spec.name, c.gone)
    done = count
    kB.push(status(c.child.pid as number, 'VmRSS'))
  }
  stopClient(c)
  return kB
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

/** "1.23 (1.10–1.31)": median and range over rounds of a / b, round by round. */
function ratio(a: number[], b: number[]): string {
  const per = a.map((x, i) => x / (b[i] as number))
  const f = (x: number) => x.toFixed(2)
  return `${f(median(per))} (${f(Math.min(...per))}–${f(Math.max(...per))})`
}

const fmt = (x: number) =>
  x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 10 ? 1 : 2)

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

async function main() {
  const began = performance.now()
  mkdirSync(WORK, { recursive: true })
  const serverExe = buildServer(WORK)
  const taskRoot = makeTaskRoot()
  const variants = await runtimeVariants()
  const specs: ClientSpec[] = [
    {
      name: 'floor (C, no JSON)',
      role: 'floor',
      sizes: ALL_SIZES,
      file: buildFloor(),
      args: [],
      env: {},
    },
    ...variants.map((v) => runtimeSpec(v, taskRoot)),
    ricSpec(installRic(), taskRoot),
  ]
  const files = SIZES.map(({ bytes }) => {
    const file = join(WORK, `event-${bytes}.json`)
    writeFileSync(file, event(bytes))
    return file
  })

  const lines: string[] = []
  const say = (s: string) => {
    console.log(s)
    lines.push(s)
  }
  say(`- nproc: ${version('nproc', [])}`)
  say(`- CPU: ${version('sh', ['-c', "lscpu | grep 'Model name' | sed 's/Model name: *//'"])}`)
  say(
    `- node ${process.version}, picolisp ${version('sh', ['-c', "echo '(bye)' | picolisp -version"])}`,
  )
  say(
    `- ${ROUNDS} rounds of about ${TURN_MS} ms per client and size, in turns of about ${SLICE_MS} ms`,
  )
  say(`- load average (1, 5, 15 min) at the start: ${loadAverage()}`)

  const clients: Running[] = []
  for (const spec of specs) clients.push(await startClient(spec, serverExe, files))
  const measured = await measure(clients)
  const peak = clients.map((c) => status(c.child.pid as number, 'VmHWM'))
  for (const c of clients) stopClient(c)
  const cold = await coldStarts(specs, serverExe, files)
  const rss = []
  for (const spec of specs) rss.push(await rssFlat(spec, serverExe, files))

  const get = (name: string, s: Size) => measured.get(`${name}\t${s}`)
  say('')
  say(
    `| client | 100 B µs/inv | 100 KB | 1 MB | cold start | RSS in MB after ${RSS_AFTER.map((n) => n.toLocaleString('en')).join(' / ')} inv. (100 B) | peak RSS |`,
  )
  say('|---|---:|---:|---:|---:|---:|---:|')
  for (const [i, spec] of specs.entries()) {
    const cells = ALL_SIZES.map((s) => {
      const m = get(spec.name, s)
      return m ? fmt(median(m.rounds)) : '–'
    })
    const rssMB = (rss[i] as number[]).map((kB) => (kB / 1024).toFixed(1)).join(' / ')
    say(
      `| ${spec.name} | ${cells.join(' | ')} | ${(cold[i] as number).toFixed(1)} ms | ${rssMB} | ${((peak[i] as number) / 1024).toFixed(1)} MB |`,
    )
  }

  const floor = specs.find((s) => s.role === 'floor') as ClientSpec
  const ric = specs.find((s) => s.role === 'ric') as ClientSpec
  const pairs = specs
    .filter((s) => s.role === 'runtime' || s.role === 'other')
    .flatMap((spec) => [floor, ric].map((base) => [spec, base] as const))
    .concat([[ric, floor]])
  const ratioTable = (title: string, pick: (m: Measured) => number[]) => {
    say('')
    say(`${title}, round by round: median (lowest–highest of the rounds)`)
    say('')
    say('| client | vs | 100 B | 100 KB | 1 MB |')
    say('|---|---|---:|---:|---:|')
    for (const [spec, base] of pairs) {
      const cells = ALL_SIZES.map((s) => {
        const [a, b] = [get(spec.name, s), get(base.name, s)]
        return a && b ? ratio(pick(a), pick(b)) : '–'
      })
      say(
        `| ${spec.name} | ${base === floor ? 'floor' : 'Node.js client'} | ${cells.join(' | ')} |`,
      )
    }
  }
  ratioTable('Ratios of µs/inv', (m) => m.rounds)
  // Load from elsewhere stretches wall-clock time, not the CPU time each invocation takes
  ratioTable('Ratios of CPU µs/inv (client + server)', (m) => m.cpuRounds)

  say('')
  say('CPU µs per invocation, client / server (the server is the same program for every client)')
  say('')
  say('| client | 100 B | 100 KB | 1 MB | invocations |')
  say('|---|---:|---:|---:|---:|')
  for (const spec of specs) {
    const ms = ALL_SIZES.map((s) => get(spec.name, s))
    const cells = ms.map((m) => (m ? `${fmt(m.clientCpu)} / ${fmt(m.serverCpu)}` : '–'))
    const total = ms.reduce((n, m) => n + (m?.invocations ?? 0), 0)
    say(`| ${spec.name} | ${cells.join(' | ')} | ${total.toLocaleString('en-US')} |`)
  }
  say('')
  say(`- load average at the end: ${loadAverage()}`)
  say(`- took ${((performance.now() - began) / 1000).toFixed(0)} s`)

  rmSync(taskRoot, { recursive: true, force: true })
  for (const v of variants.filter((v) => v.temporary))
    rmSync(v.layer, { recursive: true, force: true })
  writeFileSync(join(WORK, 'runtime-bench.md'), `${lines.join('\n')}\n`)
}

await main()
