import type { ServerResponse } from 'node:http'
import { MAX_PAYLOAD_BYTES } from '../common/lambda-limits.js'

// The bytes the Lambda Runtime API puts on the wire, as the Runtime Interface
// Emulator (RIE, the same Go code as Lambda's) renders them: its
// rapi/rendering package on top of Go's net/http.

/**
 * How /next bodies are framed. 'lambda': as Go's net/http frames a body
 * written without a Content-Length (RIE sets none): a body that fits its
 * 2048-byte buffer gets a Content-Length, a larger one goes out chunked.
 * 'content-length': always a Content-Length.
 */
export type Framing = 'lambda' | 'content-length'

/** net/http's bufferBeforeChunkingSize: the largest body sent with a Content-Length. */
export const GO_BUFFERED_BODY_BYTES = 2048

/**
 * Writes a 200 with the event. Headers go out in Go's order (its own sorted,
 * then Date, then the framing header) and without Node's "Connection:
 * keep-alive", which Go leaves implicit for HTTP/1.1.
 */
export function writeEvent(
  res: ServerResponse,
  headers: Record<string, string>,
  body: Buffer,
  framing: Framing,
): void {
  res.removeHeader('Connection')
  res.statusCode = 200
  for (const name of Object.keys(headers).sort()) res.setHeader(name, headers[name] as string)
  if (framing === 'lambda' && body.length > GO_BUFFERED_BODY_BYTES) {
    // Go writes a large body straight through its buffer as one chunk
    res.write(body)
    res.end()
  } else {
    // Node adds the Content-Length after Date, where Go puts it
    res.end(body)
  }
}

/** RIE's RenderJSON: json.Encoder output (so a trailing newline) as application/json. */
function renderJson(res: ServerResponse, status: number, value: object): void {
  res.removeHeader('Connection')
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json')
  res.end(`${JSON.stringify(value)}\n`)
}

/** model.ErrorResponse: errorMessage first, then errorType. */
function renderError(
  res: ServerResponse,
  status: number,
  errorType: string,
  errorMessage: string,
): void {
  renderJson(res, status, { errorMessage, errorType })
}

export function renderAccepted(res: ServerResponse): void {
  renderJson(res, 202, { status: 'OK' })
}

/** An unknown request id, or one that is not the current invocation's. */
export function renderInvalidRequestId(res: ServerResponse): void {
  renderError(res, 400, 'InvalidRequestID', 'Invalid request ID')
}

/** A call the runtime's state does not allow (a second answer, a late init error). */
export function renderInvalidStateTransition(res: ServerResponse, from: string, to: string): void {
  renderError(
    res,
    403,
    'InvalidStateTransition',
    `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
  )
}

export function renderRequestEntityTooLarge(res: ServerResponse): void {
  renderError(
    res,
    413,
    'RequestEntityTooLarge',
    `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
  )
}

export function renderInvalidFunctionResponseMode(res: ServerResponse): void {
  renderError(res, 400, 'InvalidFunctionResponseMode', 'Invalid function response mode')
}

/** 500: the sandbox cannot recover; 410 (managed instances): the invoke timed out. */
export function renderFailure(res: ServerResponse, status: 410 | 500): void {
  if (status === 500) renderError(res, 500, 'InternalServerError', 'Internal Server Error')
  else renderError(res, 410, 'InvokeTimeout', 'Invoke timeout')
}

/** chi's answer to an unknown path: Go's http.NotFound. */
export function renderNotFound(res: ServerResponse): void {
  res.removeHeader('Connection')
  res.statusCode = 404
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.end('404 page not found\n')
}

/** chi's answer to a known path with another method: 405, no body. */
export function renderMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.removeHeader('Connection')
  res.statusCode = 405
  res.setHeader('Allow', allow)
  res.end()
}

/**
 * fatalerror.GetValidRuntimeOrFunctionErrorType: Lambda keeps an error type
 * that contains (Runtime|Function).Xxx (unanchored, as RIE matches it) and
 * reports any other as Function.Unknown or Runtime.Unknown.
 */
export function validErrorType(header: string | undefined): string {
  const type = header ?? ''
  if (/(Runtime|Function)\.[A-Z][a-zA-Z]+/.test(type)) return type
  return type.startsWith('Function.') ? 'Function.Unknown' : 'Runtime.Unknown'
}
