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
import { MAX_PAYLOAD_BYTES } from '../common/lambda-limits.js'
import {
  type Framing,
  renderAccepted,
  renderFailure,
  renderInvalidFunctionResponseMode,
  renderInvalidRequestId,
  renderInvalidStateTransition,
  renderMethodNotAllowed,
  renderNotFound,
  renderRequestEntityTooLarge,
  validErrorType,
  writeEvent,
} from './runtime-api-rendering.js'

export { MAX_PAYLOAD_BYTES } from '../common/lambda-limits.js'
export type { Framing } from './runtime-api-rendering.js'

/*
 * The Lambda Runtime API on 127.0.0.1, modelled on the Runtime Interface
 * Emulator's source (rapi/ and core/states.go; Lambda runs the same code):
 * its framing, status codes, error bodies, request-id checks and runtime
 * state machine. What it deliberately does not copy:
 * - Invocations are queued by invoke() instead of coming from an Invoke API;
 *   an event over MAX_PAYLOAD_BYTES is refused there, as Lambda's Invoke API
 *   refuses it, where RIE would silently cut it.
 * - /init/error settles the queued invocations with the init error at once;
 *   RIE hands it to the next invoke once the runtime has exited.
 * - A streamed response (Lambda-Runtime-Function-Response-Mode: streaming) is
 *   collected whole under the same limit as a buffered one, as RIE does
 *   outside its direct-invoke mode; its trailers are kept in the outcome.
 * - Error bodies reach the outcome as sent: RIE's rewriting of
 *   application/vnd.aws.lambda.error.cause+json bodies and its X-Ray cause
 *   header are left out, as are extensions, telemetry and restore (SnapStart).
 * - /next also carries Lambda's Lambda-Runtime-Aws-Tenant-Id and
 *   Lambda-Runtime-Invocation-Id when given; RIE sends neither.
 * - injectStatus and dropNextPoll are test hooks with no RIE counterpart; an
 *   injected 410 carries the body of RIE's managed-instances InvokeTimeout.
 * - Malformed HTTP is refused by Node's parser (400, connection closed) as Go
 *   refuses it, with different bodies; header names are written as given.
 */

const API_PREFIX = '/2018-06-01/runtime'
const ANSWER_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/

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
  /** The event's Content-Type; default application/json, as RIE's. */
  contentType?: string
  /** Further headers, sent as given. */
  headers?: Record<string, string>
}

export interface EmulatorOptions {
  /** How /next bodies are framed; default 'lambda' (chunked above 2048 bytes). */
  framing?: Framing
}

/**
 * How one invocation ended, as the caller of Lambda's Invoke API would see it.
 * headers are those the runtime sent with its answer; for an error the API
 * made itself (an oversized or invalid response) only its Content-Type.
 */
export type InvokeOutcome =
  | {
      kind: 'response'
      requestId: string
      body: Buffer
      headers: IncomingHttpHeaders
      /** Trailers of a chunked (streamed) response; empty otherwise. */
      trailers: NodeJS.Dict<string>
    }
  | {
      kind: 'error'
      requestId: string
      body: Buffer
      /** The Lambda-Runtime-Function-Error-Type header as Lambda keeps it. */
      errorType: string
      headers: IncomingHttpHeaders
    }
  | InitErrorOutcome

export interface InitErrorOutcome {
  kind: 'init-error'
  body: Buffer
  /** The Lambda-Runtime-Function-Error-Type header as Lambda keeps it. */
  errorType: string
  headers: IncomingHttpHeaders
}

/** A status to answer instead of the normal one, for testing the runtime's reaction. */
export interface InjectedStatus {
  on: 'next' | 'response' | 'error'
  status: 410 | 500
}

/** RIE's runtime states (core/runtime_state_names.go), the ones reachable here. */
type RuntimeState =
  | 'Started'
  | 'InitError'
  | 'Ready'
  | 'Running'
  | 'InvocationResponse'
  | 'RuntimeResponseSentState'

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
  readonly framing: Framing
  private server: Server | undefined
  private readonly queue: Invocation[] = []
  private readonly waitingPolls: ServerResponse[] = []
  private readonly injected: InjectedStatus[] = []
  private state: RuntimeState = 'Started'
  /** The invocation last handed out; answers name it or get 400. */
  private current: Invocation | undefined
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

  constructor(options: EmulatorOptions = {}) {
    this.framing = options.framing ?? 'lambda'
  }

  /** Starts listening on an ephemeral port of 127.0.0.1 (or ::1). */
  async start(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<this> {
    // Go's default MaxHeaderBytes is 1 MiB (Node's is 16 KiB)
    const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => this.route(req, res))
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
      const pending = this.current ? [this.current, ...this.queue] : this.queue
      for (const inv of pending) if (!inv.answered) inv.reject(this.exitError)
      this.queue.length = 0
      this.current = undefined
    })
  }

  /**
   * Queues one invocation; resolves with the runtime's response, error or init
   * error. An event over MAX_PAYLOAD_BYTES is refused, as Lambda's Invoke API
   * refuses it.
   */
  invoke(event: string | Buffer | object, opts: InvokeOptions = {}): Promise<InvokeOutcome> {
    if (this.exitError) return Promise.reject(this.exitError)
    const body = Buffer.isBuffer(event)
      ? event
      : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event))
    if (body.length > MAX_PAYLOAD_BYTES) {
      return Promise.reject(
        new Error(
          `event of ${body.length} bytes: Lambda refuses events over ${MAX_PAYLOAD_BYTES} bytes`,
        ),
      )
    }
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
      this.current = inv
      this.state = 'Running'
      writeEvent(res, inv.headers, inv.body, this.framing)
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0] as string
    const answer = ANSWER_PATH.exec(path)
    if (path === `${API_PREFIX}/invocation/next`) {
      if (req.method === 'GET') this.next(req, res)
      else renderMethodNotAllowed(res, 'GET')
    } else if (path === `${API_PREFIX}/init/error`) {
      this.post(req, res, (body) => this.onInitError(req, body, res))
    } else if (answer) {
      const id = decodedId(answer[1] as string)
      const kind = answer[2] as 'response' | 'error'
      this.post(req, res, (body) => this.onAnswer(id, kind, req, body, res))
    } else {
      renderNotFound(res)
    }
  }

  /** Refuses other methods; collects the body, Content-Length or chunked alike. */
  private post(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
    if (req.method !== 'POST') {
      renderMethodNotAllowed(res, 'POST')
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => then(Buffer.concat(chunks)))
  }

  private onAnswer(
    requestId: string | undefined,
    kind: 'response' | 'error',
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const inv = this.current
    if (!inv || requestId !== inv.requestId) {
      renderInvalidRequestId(res)
      return
    }
    if (this.state !== 'Running') {
      const to = kind === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse'
      renderInvalidStateTransition(res, this.state, to)
      return
    }
    const injected = this.takeInjected(kind)
    if (injected) {
      renderFailure(res, injected.status)
      // 410: the API took the answer, too late to matter; 500: nothing changed
      if (injected.status === 410) this.settle(inv, answerOutcome(inv, kind, req, body))
      return
    }
    if (kind === 'response') this.onResponse(inv, req, body, res)
    else {
      renderAccepted(res)
      this.settle(inv, answerOutcome(inv, kind, req, body))
    }
  }

  private onResponse(
    inv: Invocation,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const mode = req.headers['lambda-runtime-function-response-mode']
    if (mode !== undefined && mode !== 'streaming') {
      // RIE fails the invocation and leaves the runtime stuck mid-response
      renderInvalidFunctionResponseMode(res)
      this.settle(
        inv,
        platformError(inv, 'Runtime.InvalidResponseModeHeader', ''),
        'InvocationResponse',
      )
    } else if (body.length > MAX_PAYLOAD_BYTES) {
      // The invocation ends here with Lambda's own error; a later /error gets 403
      renderRequestEntityTooLarge(res)
      const message = `Response payload size (${body.length} bytes) exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`
      this.settle(inv, platformError(inv, 'Function.ResponseSizeTooLarge', message))
    } else {
      renderAccepted(res)
      this.settle(inv, answerOutcome(inv, 'response', req, body))
    }
  }

  private settle(
    inv: Invocation,
    outcome: InvokeOutcome,
    state: RuntimeState = 'RuntimeResponseSentState',
  ): void {
    inv.answered = true
    this.state = state
    inv.resolve(outcome)
  }

  private next(req: IncomingMessage, res: ServerResponse): void {
    this.nextRequests++
    this.onNextRequest?.()
    const injected = this.takeInjected('next')
    if (injected) {
      renderFailure(res, injected.status)
      return
    }
    if (this.dropPolls > 0) {
      this.dropPolls--
      req.socket.destroy()
      return
    }
    if (this.state === 'InitError' || this.state === 'InvocationResponse') {
      renderInvalidStateTransition(res, this.state, 'Ready')
      return
    }
    if (this.state === 'Running' && this.current) {
      // RIE's Running state renders the unanswered invocation again
      writeEvent(res, this.current.headers, this.current.body, this.framing)
      return
    }
    this.state = 'Ready'
    res.on('close', () => {
      const i = this.waitingPolls.indexOf(res)
      if (i >= 0) this.waitingPolls.splice(i, 1)
    })
    this.waitingPolls.push(res)
    this.dispatch()
  }

  /** Allowed only before the first /next, as in RIE's Started state. */
  private onInitError(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (this.state !== 'Started') {
      renderInvalidStateTransition(res, this.state, 'InitError')
      return
    }
    this.state = 'InitError'
    renderAccepted(res)
    const outcome: InitErrorOutcome = {
      kind: 'init-error',
      body,
      errorType: validErrorType(headerValue(req.headers['lambda-runtime-function-error-type'])),
      headers: req.headers,
    }
    this.initErrors.push(outcome)
    for (const waiter of this.initErrorWaiters.splice(0)) waiter(outcome)
    for (const inv of this.queue.splice(0)) inv.resolve(outcome)
  }
}

function answerOutcome(
  inv: Invocation,
  kind: 'response' | 'error',
  req: IncomingMessage,
  body: Buffer,
): InvokeOutcome {
  const { requestId } = inv
  if (kind === 'response') {
    return { kind, requestId, body, headers: req.headers, trailers: req.trailers }
  }
  const errorType = validErrorType(headerValue(req.headers['lambda-runtime-function-error-type']))
  return { kind, requestId, body, errorType, headers: req.headers }
}

/** An error Lambda reports itself: interop.FunctionError as JSON. */
function platformError(inv: Invocation, errorType: string, errorMessage: string): InvokeOutcome {
  const body = errorMessage
    ? Buffer.from(JSON.stringify({ errorType, errorMessage }))
    : Buffer.alloc(0)
  const headers = { 'content-type': 'application/json' }
  return { kind: 'error', requestId: inv.requestId, body, errorType, headers }
}

/** The id from the path; one that does not decode matches no invocation. */
function decodedId(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

function nextHeaders(requestId: string, opts: InvokeOptions): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': opts.contentType ?? 'application/json',
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
