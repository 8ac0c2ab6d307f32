import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

/** Lambda's limit for a buffered response: 6 MiB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024

const API_PREFIX = '/2018-06-01/runtime'

/** What /next tells the runtime about one invocation; each header only when set. */
export interface InvokeOptions {
  requestId?: string
  /** Epoch milliseconds; default: now + timeoutMs. */
  deadlineMs?: number
  /** Used for the default deadline; default 30 s. */
  timeoutMs?: number
  functionArn?: string
  traceId?: string
  /** Sent as JSON text. */
  clientContext?: unknown
  /** Sent as JSON text. */
  cognitoIdentity?: unknown
  tenantId?: string
  invocationId?: string
  /** Further headers, sent as given. */
  headers?: Record<string, string>
}

/** How one invocation ended, as the runtime reported it. */
export type InvokeOutcome =
  | { kind: 'response'; requestId: string; body: Buffer; headers: IncomingHttpHeaders }
  | {
      kind: 'error'
      requestId: string
      body: Buffer
      /** The Lambda-Runtime-Function-Error-Type header. */
      errorType?: string
      headers: IncomingHttpHeaders
    }
  | InitErrorOutcome

export interface InitErrorOutcome {
  kind: 'init-error'
  body: Buffer
  errorType?: string
  headers: IncomingHttpHeaders
}

/** A status to answer instead of the normal one, for testing the runtime's reaction. */
export interface InjectedStatus {
  on: 'next' | 'response' | 'error'
  status: 410 | 500
}

interface Invocation {
  requestId: string
  body: Buffer
  headers: Record<string, string>
  answered: boolean
  resolve: (o: InvokeOutcome) => void
  reject: (e: Error) => void
}

/** Raised for pending invocations when the attached runtime process exits. */
export class RuntimeExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(`runtime exited (code ${code}, signal ${signal}); stderr tail:\n${stderrTail}`)
    this.name = 'RuntimeExitedError'
  }
}

/**
 * The AWS Lambda Runtime API on 127.0.0.1, for running a real runtime process
 * against: queue invocations with invoke(), get back what the runtime answered.
 */
export class RuntimeApiEmulator {
  private server: Server | undefined
  private readonly queue: Invocation[] = []
  private readonly waitingPolls: ServerResponse[] = []
  private readonly invocations = new Map<string, Invocation>()
  private readonly injected: InjectedStatus[] = []
  private dropPolls = 0
  private stderrTail = ''
  private exitError: RuntimeExitedError | undefined
  private initErrorWaiters: ((o: InitErrorOutcome) => void)[] = []
  /** Every /init/error received. */
  readonly initErrors: InitErrorOutcome[] = []
  /** How many GET /next requests arrived (reconnects included). */
  nextRequests = 0
  /** How many TCP connections the runtime opened. */
  connections = 0
  /** Called as each GET /next arrives (benchmarks time start-up with it). */
  onNextRequest: (() => void) | undefined

  /** Starts listening on an ephemeral port of 127.0.0.1 (or ::1). */
  async start(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<this> {
    const server = createServer((req, res) => this.route(req, res))
    // /next is a long poll that must never time out; connections stay open
    server.requestTimeout = 0
    server.headersTimeout = 0
    server.keepAliveTimeout = 0
    server.timeout = 0
    server.on('connection', () => {
      this.connections++
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, resolve)
    })
    this.server = server
    return this
  }

  /** Value for AWS_LAMBDA_RUNTIME_API: "127.0.0.1:<port>" or "[::1]:<port>". */
  get address(): string {
    if (!this.server) throw new Error('emulator not started')
    const { address, port } = this.server.address() as AddressInfo
    return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    for (const res of this.waitingPolls.splice(0)) res.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /**
   * Watches a runtime process: when it exits, pending and later invocations
   * reject with RuntimeExitedError carrying the exit code and stderr's tail.
   */
  attach(child: ChildProcess): void {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000)
    })
    child.once('exit', (code, signal) => {
      this.exitError = new RuntimeExitedError(code, signal, this.stderrTail)
      for (const inv of [...this.invocations.values(), ...this.queue]) {
        if (!inv.answered) inv.reject(this.exitError)
      }
      this.queue.length = 0
      this.invocations.clear()
    })
  }

  /** Queues one invocation; resolves with the runtime's response, error or init error. */
  invoke(event: string | Buffer | object, opts: InvokeOptions = {}): Promise<InvokeOutcome> {
    if (this.exitError) return Promise.reject(this.exitError)
    const body = Buffer.isBuffer(event)
      ? event
      : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event))
    const requestId = opts.requestId ?? randomUUID()
    return new Promise<InvokeOutcome>((resolve, reject) => {
      const inv: Invocation = {
        requestId,
        body,
        headers: nextHeaders(requestId, opts),
        answered: false,
        resolve,
        reject,
      }
      this.queue.push(inv)
      this.dispatch()
    })
  }

  /** Resolves with the next /init/error (or one already received). */
  initError(): Promise<InitErrorOutcome> {
    const seen = this.initErrors[0]
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve) => this.initErrorWaiters.push(resolve))
  }

  /** Answers the next matching request with this status instead of the normal one. */
  injectStatus(injection: InjectedStatus): void {
    this.injected.push(injection)
  }

  /**
   * Closes the connection of the next /next poll without an answer (the one
   * waiting now, or the next to arrive); its invocation stays queued.
   */
  dropNextPoll(): void {
    const waiting = this.waitingPolls.shift()
    if (waiting) waiting.socket?.destroy()
    else this.dropPolls++
  }

  private takeInjected(on: InjectedStatus['on']): InjectedStatus | undefined {
    const i = this.injected.findIndex((x) => x.on === on)
    return i < 0 ? undefined : this.injected.splice(i, 1)[0]
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.waitingPolls.length > 0) {
      const res = this.waitingPolls.shift() as ServerResponse
      if (res.destroyed) continue
      const inv = this.queue.shift() as Invocation
      this.invocations.set(inv.requestId, inv)
      res.writeHead(200, {
        ...inv.headers,
        'Content-Type': 'application/json',
        'Content-Length': String(inv.body.length),
      })
      res.end(inv.body)
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? ''
    if (req.method === 'GET' && url === `${API_PREFIX}/invocation/next`) {
      this.next(req, res)
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (req.method === 'POST' && url === `${API_PREFIX}/init/error`) {
        this.onInitError(req, body, res)
        return
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)
      if (req.method === 'POST' && m) {
        this.onAnswer(
          decodeURIComponent(m[1] as string),
          m[2] as 'response' | 'error',
          req,
          body,
          res,
        )
        return
      }
      reply(res, 404, { errorMessage: `No route for ${req.method} ${url}`, errorType: 'NotFound' })
    })
  }

  private next(req: IncomingMessage, res: ServerResponse): void {
    this.nextRequests++
    this.onNextRequest?.()
    const injected = this.takeInjected('next')
    if (injected) {
      reply(res, injected.status, { errorMessage: 'injected', errorType: 'Injected' })
      return
    }
    if (this.dropPolls > 0) {
      this.dropPolls--
      req.socket.destroy()
      return
    }
    res.on('close', () => {
      const i = this.waitingPolls.indexOf(res)
      if (i >= 0) this.waitingPolls.splice(i, 1)
    })
    this.waitingPolls.push(res)
    this.dispatch()
  }

  private onAnswer(
    requestId: string,
    kind: 'response' | 'error',
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const inv = this.invocations.get(requestId)
    if (!inv) {
      reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' })
      return
    }
    if (inv.answered) {
      reply(res, 403, {
        errorMessage: 'Invalid state transition',
        errorType: 'InvalidStateTransition',
      })
      return
    }
    const injected = this.takeInjected(kind)
    if (injected) {
      reply(res, injected.status, { errorMessage: 'injected', errorType: 'Injected' })
      if (injected.status === 410) this.settle(inv, kind, req, body)
      return
    }
    if (kind === 'response' && body.length > MAX_RESPONSE_BYTES) {
      reply(res, 413, {
        errorMessage: `Response payload size (${body.length} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        errorType: 'Function.ResponseSizeTooLarge',
      })
      return
    }
    reply(res, 202, { status: 'OK' })
    this.settle(inv, kind, req, body)
  }

  private settle(
    inv: Invocation,
    kind: 'response' | 'error',
    req: IncomingMessage,
    body: Buffer,
  ): void {
    inv.answered = true
    if (kind === 'response') {
      inv.resolve({ kind, requestId: inv.requestId, body, headers: req.headers })
    } else {
      inv.resolve({
        kind,
        requestId: inv.requestId,
        body,
        errorType: headerValue(req.headers['lambda-runtime-function-error-type']),
        headers: req.headers,
      })
    }
  }

  private onInitError(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    reply(res, 202, { status: 'OK' })
    const outcome: InitErrorOutcome = {
      kind: 'init-error',
      body,
      errorType: headerValue(req.headers['lambda-runtime-function-error-type']),
      headers: req.headers,
    }
    this.initErrors.push(outcome)
    for (const waiter of this.initErrorWaiters.splice(0)) waiter(outcome)
    for (const inv of this.queue.splice(0)) inv.resolve(outcome)
  }
}

function nextHeaders(requestId: string, opts: InvokeOptions): Record<string, string> {
  const h: Record<string, string> = {
    'Lambda-Runtime-Aws-Request-Id': requestId,
    'Lambda-Runtime-Deadline-Ms': String(
      opts.deadlineMs ?? Date.now() + (opts.timeoutMs ?? 30_000),
    ),
  }
  if (opts.functionArn !== undefined) h['Lambda-Runtime-Invoked-Function-Arn'] = opts.functionArn
  if (opts.traceId !== undefined) h['Lambda-Runtime-Trace-Id'] = opts.traceId
  if (opts.clientContext !== undefined)
    h['Lambda-Runtime-Client-Context'] = JSON.stringify(opts.clientContext)
  if (opts.cognitoIdentity !== undefined)
    h['Lambda-Runtime-Cognito-Identity'] = JSON.stringify(opts.cognitoIdentity)
  if (opts.tenantId !== undefined) h['Lambda-Runtime-Aws-Tenant-Id'] = opts.tenantId
  if (opts.invocationId !== undefined) h['Lambda-Runtime-Invocation-Id'] = opts.invocationId
  return { ...h, ...opts.headers }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}
