import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  MAX_PAYLOAD_BYTES,
  RuntimeApiEmulator,
  RuntimeExitedError,
} from '../../src/invoke/runtime-api-emulator.js'
import { RawHttpConnection } from '../support/raw-http-client.js'

// The emulator on its own, driven by plain HTTP calls as a runtime would make them.

let emulator: RuntimeApiEmulator
let base: string

beforeEach(async () => {
  emulator = await new RuntimeApiEmulator().start()
  base = `http://${emulator.address}/2018-06-01/runtime`
})
afterEach(async () => {
  await emulator.stop()
})

async function next() {
  const res = await fetch(`${base}/invocation/next`)
  return { res, body: await res.text(), id: res.headers.get('lambda-runtime-aws-request-id') ?? '' }
}

function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const data = typeof body === 'string' ? body : new Uint8Array(body)
  return fetch(`${base}${path}`, { method: 'POST', body: data, headers })
}

describe('RuntimeApiEmulator', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(emulator.address).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(emulator.address).not.toBe('127.0.0.1:0')
  })

  it('hands an event to /next with its headers and resolves with the response', async () => {
    const outcome = emulator.invoke(
      { hello: 'world' },
      {
        requestId: 'r-1',
        deadlineMs: 1_900_000_000_000,
        functionArn: 'arn:aws:lambda:eu-west-1:1:function:f',
        traceId: 'Root=1-a;Parent=b',
        clientContext: { c: 1 },
        cognitoIdentity: { i: 2 },
        tenantId: 't-1',
        invocationId: 'inv-1',
      },
    )
    const { res, body, id } = await next()
    expect(res.status).toBe(200)
    expect(JSON.parse(body)).toEqual({ hello: 'world' })
    expect(id).toBe('r-1')
    expect(res.headers.get('lambda-runtime-deadline-ms')).toBe('1900000000000')
    expect(res.headers.get('lambda-runtime-invoked-function-arn')).toBe(
      'arn:aws:lambda:eu-west-1:1:function:f',
    )
    expect(res.headers.get('lambda-runtime-trace-id')).toBe('Root=1-a;Parent=b')
    expect(res.headers.get('lambda-runtime-client-context')).toBe('{"c":1}')
    expect(res.headers.get('lambda-runtime-cognito-identity')).toBe('{"i":2}')
    expect(res.headers.get('lambda-runtime-aws-tenant-id')).toBe('t-1')
    expect(res.headers.get('lambda-runtime-invocation-id')).toBe('inv-1')
    const answer = await post(`/invocation/${id}/response`, 'done', {
      'Lambda-Runtime-Invocation-Id': 'inv-1',
    })
    expect(answer.status).toBe(202)
    expect(await answer.json()).toEqual({ status: 'OK' })
    const o = await outcome
    expect(o.kind).toBe('response')
    expect(o.kind === 'response' && o.body.toString()).toBe('done')
    expect(o.headers['lambda-runtime-invocation-id']).toBe('inv-1')
  })

  it('generates request ids and sends only the headers that have values', async () => {
    void emulator.invoke('{}')
    const { res, id } = await next()
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(res.headers.get('lambda-runtime-deadline-ms'))).toBeGreaterThan(Date.now())
    expect(res.headers.get('lambda-runtime-trace-id')).toBeNull()
    expect(res.headers.get('lambda-runtime-invocation-id')).toBeNull()
  })

  it('holds /next open until an event is queued', async () => {
    const pending = next()
    const early = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('waiting'), 300)),
    ])
    expect(early).toBe('waiting')
    void emulator.invoke('"late"')
    expect((await pending).body).toBe('"late"')
  })

  it('resolves an /error with its error type and body', async () => {
    const outcome = emulator.invoke('{}')
    const { id } = await next()
    const body = JSON.stringify({
      errorMessage: 'bad',
      errorType: 'Function.Error',
      stackTrace: [],
    })
    const res = await post(`/invocation/${id}/error`, body, {
      'Lambda-Runtime-Function-Error-Type': 'Function.Error',
    })
    expect(res.status).toBe(202)
    const o = await outcome
    expect(o.kind).toBe('error')
    expect(o.kind === 'error' && o.errorType).toBe('Function.Error')
    expect(JSON.parse(o.body.toString())).toMatchObject({ errorMessage: 'bad' })
  })

  it('answers 400 for an unknown request id and 403 for a second answer', async () => {
    const unknown = await post('/invocation/nope/response', 'x')
    expect(unknown.status).toBe(400)
    expect(await unknown.json()).toMatchObject({ errorType: 'InvalidRequestID' })
    void emulator.invoke('{}')
    const { id } = await next()
    expect((await post(`/invocation/${id}/response`, 'one')).status).toBe(202)
    const second = await post(`/invocation/${id}/error`, '{}')
    expect(second.status).toBe(403)
    expect(await second.json()).toMatchObject({ errorType: 'InvalidStateTransition' })
  })

  it("answers 413 to a response over the limit and ends the invocation with Lambda's error", async () => {
    const outcome = emulator.invoke('{}')
    const { id } = await next()
    const tooBig = await post(`/invocation/${id}/response`, Buffer.alloc(MAX_PAYLOAD_BYTES + 1))
    expect(tooBig.status).toBe(413)
    expect(await tooBig.json()).toEqual({
      errorMessage: 'Exceeded maximum allowed payload size (6291556 bytes).',
      errorType: 'RequestEntityTooLarge',
    })
    const o = await outcome
    expect(o.kind === 'error' && o.errorType).toBe('Function.ResponseSizeTooLarge')
    expect(JSON.parse(o.body.toString())).toEqual({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage:
        'Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).',
    })
    // The runtime's own report comes too late
    expect((await post(`/invocation/${id}/error`, '{}')).status).toBe(403)
  })

  it('accepts a response of exactly the limit', async () => {
    const outcome = emulator.invoke('{}')
    const { id } = await next()
    const exact = await post(`/invocation/${id}/response`, Buffer.alloc(MAX_PAYLOAD_BYTES, 'a'))
    expect(exact.status).toBe(202)
    const o = await outcome
    expect(o.kind === 'response' && o.body.length).toBe(MAX_PAYLOAD_BYTES)
  })

  it('turns /init/error into an outcome for queued invocations', async () => {
    const queued = emulator.invoke('{}')
    const body = JSON.stringify({ errorMessage: 'x', errorType: 'Runtime.HandlerNotFound' })
    const res = await post('/init/error', body, {
      'Lambda-Runtime-Function-Error-Type': 'Runtime.HandlerNotFound',
    })
    expect(res.status).toBe(202)
    const o = await queued
    expect(o.kind).toBe('init-error')
    expect((await emulator.initError()).errorType).toBe('Runtime.HandlerNotFound')
    expect(emulator.initErrors).toHaveLength(1)
  })

  it('answers injected statuses once', async () => {
    emulator.injectStatus({ on: 'next', status: 500 })
    expect((await fetch(`${base}/invocation/next`)).status).toBe(500)
    emulator.injectStatus({ on: 'response', status: 410 })
    const outcome = emulator.invoke('{}')
    const { id } = await next()
    expect((await post(`/invocation/${id}/response`, 'late')).status).toBe(410)
    expect((await outcome).kind).toBe('response')
  })

  it('closes the connection of a waiting /next on demand, keeping the event queued', async () => {
    const dropped = fetch(`${base}/invocation/next`).then(
      () => 'answered',
      () => 'closed',
    )
    await new Promise((r) => setTimeout(r, 100))
    emulator.dropNextPoll()
    expect(await dropped).toBe('closed')
    void emulator.invoke('"kept"')
    expect((await next()).body).toBe('"kept"')
    expect(emulator.nextRequests).toBe(2)
  })

  it('rejects pending invocations when the attached runtime exits, with its stderr', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'process.stderr.write("boom\\n"); setTimeout(() => process.exit(3), 100)'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    emulator.attach(child)
    const failure = await emulator.invoke('{}').catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(RuntimeExitedError)
    expect((failure as RuntimeExitedError).code).toBe(3)
    expect((failure as RuntimeExitedError).stderrTail).toContain('boom')
    await expect(emulator.invoke('{}')).rejects.toBeInstanceOf(RuntimeExitedError)
  })
})

// The same emulator seen byte by byte, through a raw socket: framing, header
// layout and error bodies as Lambda's Go server (RIE's source) writes them.

const API = '/2018-06-01/runtime'

function rawGet(path: string): string {
  return `GET ${API}${path} HTTP/1.1\r\nHost: api\r\n\r\n`
}

function rawPost(path: string, body: string, headers: string[] = []): string {
  const head = [`POST ${API}${path} HTTP/1.1`, 'Host: api', ...headers]
  return `${head.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

/** A chunked POST: the chunks as given, one with an extension, then trailers. */
function rawChunkedPost(path: string, chunks: string[], trailers: string[] = []): string {
  const head = `POST ${API}${path} HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n`
  const announce = trailers.length
    ? `Trailer: ${trailers.map((t) => t.split(':')[0]).join(', ')}\r\n`
    : ''
  const body = chunks.map(
    (c, i) => `${Buffer.byteLength(c).toString(16)}${i === 0 ? ';ext=1' : ''}\r\n${c}\r\n`,
  )
  return `${head}${announce}\r\n${body.join('')}0\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`
}

describe('RuntimeApiEmulator on the wire', () => {
  let conn: RawHttpConnection
  beforeEach(async () => {
    conn = await RawHttpConnection.open(emulator.address)
  })
  afterEach(() => conn.close())

  async function nextEvent(body: string | Buffer, requestId = 'r-1') {
    void emulator.invoke(body, { requestId, deadlineMs: 1_900_000_000_000 })
    return conn.exchange(rawGet('/invocation/next'))
  }

  it("sends a 2048-byte event with a Content-Length, in Go's header layout", async () => {
    const event = `"${'a'.repeat(2046)}"`
    const res = await nextEvent(event)
    expect(res.statusLine).toBe('HTTP/1.1 200 OK')
    // Go: the handler's headers sorted, then Date, then the framing; no Connection
    expect(res.headerLines).toEqual([
      'Content-Type: application/json',
      'Lambda-Runtime-Aws-Request-Id: r-1',
      'Lambda-Runtime-Deadline-Ms: 1900000000000',
      expect.stringMatching(/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/),
      'Content-Length: 2048',
    ])
    expect(res.chunks).toBeUndefined()
    expect(res.body.toString()).toBe(event)
  })

  it('sends a 2049-byte event chunked, in one chunk, without a Content-Length', async () => {
    const event = `"${'a'.repeat(2047)}"`
    const res = await nextEvent(event)
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.headerLines.at(-1)).toBe('Transfer-Encoding: chunked')
    expect(res.chunks).toEqual([2049])
    expect(res.trailerLines).toEqual([])
    expect(res.body.toString()).toBe(event)
  })

  it('sends an empty event with Content-Length: 0', async () => {
    const res = await nextEvent('')
    expect(res.headers['content-length']).toBe('0')
    expect(res.body.length).toBe(0)
  })

  it('keeps the connection for the next request after a chunked event', async () => {
    const big = Buffer.alloc(100_000, 'b')
    expect((await nextEvent(big, 'r-1')).chunks).toEqual([100_000])
    expect((await conn.exchange(rawPost('/invocation/r-1/response', 'ok'))).status).toBe(202)
    expect((await nextEvent('"small"', 'r-2')).body.toString()).toBe('"small"')
    expect(emulator.connections).toBe(1)
  })

  it('always sends a Content-Length with the content-length framing', async () => {
    const other = await new RuntimeApiEmulator({ framing: 'content-length' }).start()
    const c = await RawHttpConnection.open(other.address)
    try {
      for (const [id, size] of [
        ['a', 2049],
        ['b', 1_000_000],
      ] as const) {
        void other.invoke(Buffer.alloc(size, 'x'), { requestId: id })
        const res = await c.exchange(rawGet('/invocation/next'))
        expect(res.headers['content-length']).toBe(String(size))
        expect(res.headers['transfer-encoding']).toBeUndefined()
        expect(res.body.length).toBe(size)
        expect((await c.exchange(rawPost(`/invocation/${id}/response`, '1'))).status).toBe(202)
      }
    } finally {
      c.close()
      await other.stop()
    }
  })

  it('accepts a chunked /response and reassembles it, trailers kept', async () => {
    const outcome = emulator.invoke('{}', { requestId: 'r-1' })
    await conn.exchange(rawGet('/invocation/next'))
    const res = await conn.exchange(
      rawChunkedPost('/invocation/r-1/response', ['{"a":', '"ü', '"}'], ['X-Check: 1']),
    )
    expect(res.status).toBe(202)
    expect(res.headerLines.filter((l) => !l.startsWith('Date:'))).toEqual([
      'Content-Type: application/json',
      'Content-Length: 16',
    ])
    expect(res.body.toString()).toBe('{"status":"OK"}\n')
    const o = await outcome
    expect(o.kind === 'response' && o.body.toString()).toBe('{"a":"ü"}')
    expect(o.kind === 'response' && o.trailers).toEqual({ 'x-check': '1' })
  })

  it('accepts chunked /error and /init/error bodies', async () => {
    const initBody = ['{"errorMessage":"x",', '"errorType":"Runtime.HandlerNotFound"}']
    const init = await conn.exchange(rawChunkedPost('/init/error', initBody))
    expect(init.status).toBe(202)
    expect((await emulator.initError()).body.toString()).toBe(initBody.join(''))

    const other = await new RuntimeApiEmulator().start()
    const c = await RawHttpConnection.open(other.address)
    try {
      const outcome = other.invoke('{}', { requestId: 'r-2' })
      await c.exchange(rawGet('/invocation/next'))
      expect(
        (await c.exchange(rawChunkedPost('/invocation/r-2/error', ['{"e":', '1}']))).status,
      ).toBe(202)
      expect((await outcome).body.toString()).toBe('{"e":1}')
    } finally {
      c.close()
      await other.stop()
    }
  })

  it('answers 400 to an answer for any id but the current one, and 403 to a second answer', async () => {
    await nextEvent('{}', 'r-1')
    const wrong = await conn.exchange(rawPost('/invocation/r-0/response', '1'))
    expect(wrong.status).toBe(400)
    expect(wrong.body.toString()).toBe(
      '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n',
    )
    expect((await conn.exchange(rawPost('/invocation/r-1/response', '1'))).status).toBe(202)
    const second = await conn.exchange(rawPost('/invocation/r-1/error', '{}'))
    expect(second.status).toBe(403)
    expect(JSON.parse(second.body.toString())).toEqual({
      errorMessage:
        'State transition from RuntimeResponseSentState to InvocationErrorResponse failed for runtime. Error: State transition is not allowed',
      errorType: 'InvalidStateTransition',
    })
    // Once the next invocation is out, the old id is just unknown
    await nextEvent('{}', 'r-2')
    expect((await conn.exchange(rawPost('/invocation/r-1/response', '1'))).status).toBe(400)
  })

  it('hands the unanswered invocation out again on a repeated /next', async () => {
    const outcome = emulator.invoke('{"again":1}', { requestId: 'r-1' })
    const first = await conn.exchange(rawGet('/invocation/next'))
    const again = await conn.exchange(rawGet('/invocation/next'))
    expect(again.headers['lambda-runtime-aws-request-id']).toBe('r-1')
    expect(again.body.toString()).toBe(first.body.toString())
    expect((await conn.exchange(rawPost('/invocation/r-1/response', '2'))).status).toBe(202)
    expect((await outcome).body.toString()).toBe('2')
  })

  it('refuses /init/error once the runtime asked for work, and /next after an init error', async () => {
    const other = await new RuntimeApiEmulator().start()
    const c = await RawHttpConnection.open(other.address)
    try {
      void other.invoke('{}', { requestId: 'r-1' })
      await c.exchange(rawGet('/invocation/next'))
      const late = await c.exchange(rawPost('/init/error', '{}'))
      expect(late.status).toBe(403)
      expect(late.body.toString()).toContain('State transition from Running to InitError failed')
      expect(other.initErrors).toEqual([])
    } finally {
      c.close()
      await other.stop()
    }
    expect((await conn.exchange(rawPost('/init/error', '{}'))).status).toBe(202)
    const next = await conn.exchange(rawGet('/invocation/next'))
    expect(next.status).toBe(403)
    expect(next.body.toString()).toContain('State transition from InitError to Ready failed')
  })

  it.each([
    ['Function.Error', 'Function.Error'],
    ['Runtime.HandlerNotFound', 'Runtime.HandlerNotFound'],
    ['Handler.Oops', 'Runtime.Unknown'],
    ['Function.oops', 'Function.Unknown'],
    [undefined, 'Runtime.Unknown'],
  ])('keeps the error type %s as %s', async (header, kept) => {
    const outcome = emulator.invoke('{}', { requestId: 'r-1' })
    await conn.exchange(rawGet('/invocation/next'))
    const headers = header ? [`Lambda-Runtime-Function-Error-Type: ${header}`] : []
    expect((await conn.exchange(rawPost('/invocation/r-1/error', '{}', headers))).status).toBe(202)
    const o = await outcome
    expect(o.kind === 'error' && o.errorType).toBe(kept)
    expect(o.headers['lambda-runtime-function-error-type']).toBe(header)
  })

  it('answers 400 to an unknown response mode and fails the invocation', async () => {
    const outcome = emulator.invoke('{}', { requestId: 'r-1' })
    await conn.exchange(rawGet('/invocation/next'))
    const mode = ['Lambda-Runtime-Function-Response-Mode: bursty']
    const res = await conn.exchange(rawPost('/invocation/r-1/response', '1', mode))
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body.toString())).toMatchObject({
      errorType: 'InvalidFunctionResponseMode',
    })
    const o = await outcome
    expect(o.kind === 'error' && o.errorType).toBe('Runtime.InvalidResponseModeHeader')
  })

  it('answers unknown paths 404 and wrong methods 405, as chi does', async () => {
    const missing = await conn.exchange(rawGet('/nothing'))
    expect(missing.status).toBe(404)
    expect(missing.body.toString()).toBe('404 page not found\n')
    const wrong = await conn.exchange(rawPost('/invocation/next', ''))
    expect(wrong.status).toBe(405)
    expect(wrong.headers.allow).toBe('GET')
  })

  it('refuses to queue an event over the payload limit', async () => {
    await expect(emulator.invoke(Buffer.alloc(MAX_PAYLOAD_BYTES + 1))).rejects.toThrow(
      /event of 6291557 bytes: Lambda refuses events over 6291556 bytes/,
    )
  })
})
