import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  MAX_PAYLOAD_BYTES,
  RuntimeApiEmulator,
  RuntimeExitedError,
} from '../src/runtime-api-emulator.js'

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
