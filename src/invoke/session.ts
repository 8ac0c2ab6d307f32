import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import {
  type InvokeOutcome,
  RuntimeApiEmulator,
  RuntimeExitedError,
} from './runtime-api-emulator.js'

export interface SessionConfig {
  /** The unpacked layer: bootstrap at its top. */
  layerDir: string
  /** `file.function`, Lambda's Handler setting. */
  handler: string
  /** LAMBDA_TASK_ROOT: the folder the handler's file is in. */
  taskRoot: string
  /** Seconds an invocation may run before the process is killed; Lambda's default is 3. */
  timeoutSeconds: number
  /** Further environment variables (Lambda's "Environment variables"). */
  env?: Record<string, string>
  /** Receives what the function writes to stdout and stderr: its log. */
  log?: (chunk: Buffer) => void
}

export type InvokeStatus = 'ok' | 'error' | 'init-error' | 'timeout' | 'crash'

/** One invocation as Lambda's Invoke API and REPORT line would describe it. */
export interface InvokeResult {
  status: InvokeStatus
  requestId: string
  /** The response, or the error object for every other status. */
  body: Buffer
  /** Milliseconds from the event's hand-over to the answer (init excluded). */
  durationMs: number
  /** Set on the first invocation of a process: spawn to its first /next. */
  initDurationMs?: number
  /** Peak resident memory of the runtime process (VmHWM), when it still runs. */
  maxMemoryMb?: number
}

export const FUNCTION_NAME = 'picolisp-local'
export const MEMORY_SIZE_MB = 128
export const REGION = 'us-east-1'

/**
 * The environment Lambda gives a provided.al2023 function, with this
 * machine's PATH after the layer's bin/ (as Lambda puts /opt/bin on PATH).
 * The caller's `env` comes last, as a function's own variables do.
 */
export function lambdaEnvironment(
  config: SessionConfig,
  runtimeApi: string,
): Record<string, string> {
  return {
    PATH: `${path.join(config.layerDir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    HOME: config.taskRoot,
    _HANDLER: config.handler,
    LAMBDA_TASK_ROOT: config.taskRoot,
    LAMBDA_RUNTIME_DIR: config.layerDir,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_SIZE_MB),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${FUNCTION_NAME}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    ...config.env,
  }
}

/** The error object Lambda returns for a process that exited during an invocation. */
function exitError(requestId: string, error: RuntimeExitedError): Buffer {
  const how = error.signal ? `signal: ${error.signal}` : `exit status ${error.code}`
  return Buffer.from(
    JSON.stringify({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}`,
    }),
  )
}

function timeoutError(requestId: string, seconds: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`,
    }),
  )
}

/** Peak resident set of a process in MB, from /proc (Linux); undefined once it is gone. */
export function peakMemoryMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]
    return kb === undefined ? undefined : Math.ceil(Number(kb) / 1024)
  } catch {
    return undefined
  }
}

type Outcome = InvokeOutcome | 'timeout' | RuntimeExitedError

function exitedError(child: ChildProcess): RuntimeExitedError {
  return new RuntimeExitedError(child.exitCode, child.signalCode, '')
}

interface Running {
  emulator: RuntimeApiEmulator
  child: ChildProcess
  spawnedAt: number
  /** When the runtime first asked for an event: the end of its init. */
  readyAt?: number
  initReported: boolean
  exited: Promise<void>
  /** Resolves at the first /next. */
  ready: Promise<void>
}

/** Lambda gives a function's init 10 seconds, whatever its timeout. */
export const INIT_TIMEOUT_MS = 10_000

/**
 * One function instance: the layer's bootstrap against the Runtime API
 * emulator (Lambda's framing). Invocations run one after another in the same
 * process, so state persists; after a timeout, a crash or an init error the
 * next invocation starts a fresh process, as Lambda does.
 */
export class InvokeSession {
  private running: Running | undefined

  constructor(private readonly config: SessionConfig) {}

  private async start(): Promise<Running> {
    const emulator = await new RuntimeApiEmulator().start()
    const child = spawn(path.join(this.config.layerDir, 'bootstrap'), [], {
      cwd: this.config.taskRoot,
      env: lambdaEnvironment(this.config, emulator.address),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const log = this.config.log ?? ((chunk: Buffer) => process.stderr.write(chunk))
    child.stdout?.on('data', log)
    child.stderr?.on('data', log)
    emulator.attach(child)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let isReady = () => {}
    const ready = new Promise<void>((resolve) => {
      isReady = resolve
    })
    const spawnedAt = performance.now()
    const running: Running = { emulator, child, spawnedAt, initReported: false, exited, ready }
    emulator.onNextRequest = () => {
      running.readyAt ??= performance.now()
      isReady()
    }
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve)
        child.once('error', reject)
      })
    } catch (error) {
      await emulator.stop()
      throw new Error(`Cannot start the layer's bootstrap: ${(error as Error).message}`)
    }
    return running
  }

  /** Runs one event (JSON value, or raw bytes as the invoke endpoint receives them). */
  async invoke(event: unknown): Promise<InvokeResult> {
    // A process that ended after its last answer, e.g. by (bye), is replaced
    const child = this.running?.child
    if (child && (child.exitCode !== null || child.signalCode !== null)) await this.stop()
    this.running ??= await this.start()
    const running = this.running
    const requestId = randomUUID()
    const payload = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event))
    const init = await this.initOutcome(running)
    const startedAt = performance.now()
    const outcome = init ?? (await this.run(running, payload, requestId))
    const endedAt = performance.now()
    const maxMemoryMb = peakMemoryMb(running.child.pid)
    const result = this.describe(outcome, requestId)
    const fresh = !running.initReported
    running.initReported = true
    if (result.status !== 'ok' && result.status !== 'error') await this.stop()
    return {
      ...result,
      requestId,
      durationMs: init ? 0 : endedAt - startedAt,
      initDurationMs: fresh ? (running.readyAt ?? endedAt) - running.spawnedAt : undefined,
      maxMemoryMb,
    }
  }

  /**
   * Waits for the runtime's init to end: undefined once it asks for an event,
   * else what ended it (an /init/error, an exit, or Lambda's init timeout).
   */
  private async initOutcome(running: Running): Promise<Outcome | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), INIT_TIMEOUT_MS)
    })
    const ended = await Promise.race([
      running.ready.then(() => undefined),
      running.emulator.initError(),
      running.exited.then(() => 'exited' as const),
      timedOut,
    ])
    clearTimeout(timer)
    if (ended === 'exited') {
      // An /init/error the runtime sent just before exiting wins over the exit
      return running.emulator.initErrors[0] ?? exitedError(running.child)
    }
    return ended
  }

  /** Hands the event over; the process is killed when the timeout passes first. */
  private async run(running: Running, payload: Buffer, requestId: string): Promise<Outcome> {
    const timeoutMs = this.config.timeoutSeconds * 1000
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    try {
      return await Promise.race([
        running.emulator.invoke(payload, { requestId, timeoutMs }),
        timedOut,
      ])
    } catch (error) {
      if (error instanceof RuntimeExitedError) return error
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  private describe(outcome: Outcome, requestId: string): { status: InvokeStatus; body: Buffer } {
    if (outcome === 'timeout') {
      return { status: 'timeout', body: timeoutError(requestId, this.config.timeoutSeconds) }
    }
    if (outcome instanceof RuntimeExitedError) {
      return { status: 'crash', body: exitError(requestId, outcome) }
    }
    if (outcome.kind === 'response') return { status: 'ok', body: outcome.body }
    return { status: outcome.kind === 'error' ? 'error' : 'init-error', body: outcome.body }
  }

  /** Kills the process (SIGKILL, as Lambda ends a timed-out sandbox) and stops the emulator. */
  async stop(): Promise<void> {
    const running = this.running
    if (!running) return
    this.running = undefined
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL')
      await running.exited
    }
    await running.emulator.stop()
  }
}

/** The line Lambda writes after each invocation, with the init duration on a fresh process. */
export function reportLine(result: InvokeResult): string {
  const fields = [
    `REPORT RequestId: ${result.requestId}`,
    `Duration: ${result.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.ceil(result.durationMs)} ms`,
    `Memory Size: ${MEMORY_SIZE_MB} MB`,
    `Max Memory Used: ${result.maxMemoryMb === undefined ? '?' : result.maxMemoryMb} MB`,
  ]
  if (result.initDurationMs !== undefined) {
    fields.push(`Init Duration: ${result.initDurationMs.toFixed(2)} ms`)
  }
  if (result.status !== 'ok') fields.push(`Status: ${result.status}`)
  return fields.join('\t')
}
