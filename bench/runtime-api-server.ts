/**
 * Drives bench/runtime-api-server.c: compiles it, starts one per client, and
 * runs batches of echo invocations, failing when an answer is not the event.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** Compiles the server into `dir`; -> the executable. */
export function buildServer(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const exe = join(dir, 'runtime-api-server')
  execFileSync('cc', ['-O2', '-o', exe, join(import.meta.dirname, 'runtime-api-server.c')])
  return exe
}

/** One batch: invocations answered, nanoseconds taken, answers that were not the event. */
export interface Batch {
  count: number
  ns: number
  bad: number
}

export class RuntimeApiServer {
  /** "127.0.0.1:<port>", as in AWS_LAMBDA_RUNTIME_API. */
  address = ''
  /** Epoch µs at which the first GET /next arrived. */
  readonly firstNext: Promise<number>
  private onNext: (us: number) => void = () => {}
  private pending: { resolve: (b: Batch) => void; reject: (e: Error) => void } | undefined
  private stderr = ''
  private exited = false

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.firstNext = new Promise((resolve) => {
      this.onNext = resolve
    })
    child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString()
    })
    child.on('exit', (code) => {
      this.exited = true
      this.pending?.reject(new Error(`runtime-api-server exited (${code}): ${this.stderr}`))
    })
  }

  /** Starts a server that serves the events in `eventFiles` (by index in run()). */
  static start(exe: string, eventFiles: string[]): Promise<RuntimeApiServer> {
    const server = new RuntimeApiServer(spawn(exe, eventFiles))
    return new Promise((resolve, reject) => {
      server.child.on('error', reject)
      server.child.on('exit', () => reject(new Error(`runtime-api-server: ${server.stderr}`)))
      createInterface({ input: server.child.stdout }).on('line', (line) => {
        const [word, ...rest] = line.split(' ')
        if (word === 'port') {
          server.address = `127.0.0.1:${rest[0]}`
          resolve(server)
        } else if (word === 'next') server.onNext(Number(rest[0]))
        else if (word === 'done') {
          const [count, ns, bad] = rest.map(Number) as [number, number, number]
          const p = server.pending
          server.pending = undefined
          p?.resolve({ count, ns, bad })
        }
      })
    })
  }

  /** Serves `count` invocations of event `index`; -> the server's account of them. */
  run(index: number, count: number): Promise<Batch> {
    if (this.exited) return Promise.reject(new Error(`runtime-api-server exited: ${this.stderr}`))
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.child.stdin.write(`run ${index} ${count}\n`)
    })
  }

  /** The server's own CPU time so far, in ns (it has one thread: schedstat is exact). */
  cpuNs(): number {
    return Number(readFileSync(`/proc/${this.child.pid}/schedstat`, 'utf8').split(' ')[0])
  }

  stop(): void {
    this.child.stdin.end()
  }
}

/**
 * Serves `count` invocations of event `index` to the client behind `server`;
 * -> µs per invocation. Throws when any answer was not the event byte for byte
 * (an echo handler must give it back unchanged) or was an /error, when
 * `clientGone` settles first (the client died), or after `timeoutMs`.
 */
export async function echo(
  server: RuntimeApiServer,
  index: number,
  count: number,
  name: string,
  clientGone: Promise<unknown> = new Promise(() => {}),
  timeoutMs = 120_000,
): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name}: ${count} invocations took over ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  const gone = clientGone.then(() => {
    throw new Error(`${name}: the client exited during a batch`)
  })
  try {
    const b = await Promise.race([server.run(index, count), gone, late])
    if (b.bad > 0)
      throw new Error(
        `${name}: ${b.bad} of ${b.count} answers were not the event echoed byte for byte`,
      )
    return b.ns / 1e3 / b.count
  } finally {
    clearTimeout(timer)
  }
}
