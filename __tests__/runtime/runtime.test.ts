import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { InvokeOutcome } from '../../src/invoke/runtime-api-emulator.js'
import { RuntimeExitedError } from '../../src/invoke/runtime-api-emulator.js'
import { OPS_HANDLER, RAW_HANDLER } from '../support/runtime-handlers.js'
import { useRuntimeLayer } from '../support/runtime-process.js'

// The real runtime (Debian's PicoLisp, the repo's runtime/) against the
// emulator over a socket: one process per test, so each starts clean. All of
// it twice: with runtime/'s Lisp code alone, and with the native library
// the action builds into the layer (JSON codec and HTTP helpers).

function json(o: InvokeOutcome): unknown {
  return JSON.parse(o.body.toString('utf8'))
}

function expectResponse(o: InvokeOutcome): Buffer {
  if (o.kind !== 'response') throw new Error(`expected a response, got ${o.kind}: ${o.body}`)
  return o.body
}

function expectError(o: InvokeOutcome, errorType: string) {
  expect(o.kind).toBe('error')
  expect(o.kind === 'error' && o.errorType).toBe(errorType)
  const body = json(o) as { errorMessage: string; errorType: string; stackTrace: string[] }
  expect(body.errorType).toBe(errorType)
  expect(Array.isArray(body.stackTrace)).toBe(true)
  expect(o.headers['content-type']).toBe('application/vnd.aws.lambda.error+json')
  return body
}

describe.each([
  ['Lisp code alone', false],
  ['the native library', true],
])('the runtime serving invocations, with %s', (_, native) => {
  const runtime = useRuntimeLayer({ native })

  function start(env: Record<string, string> = {}, files = { 'ops.l': OPS_HANDLER }) {
    return runtime.start(files, 'ops.main', env)
  }

  it('echoes a decoded event re-encoded as JSON, numbers exact', async () => {
    const { emulator } = await start()
    const value =
      '{"s":"a \\"q\\" \\\\ b","n":-12345678901234567890,"f":1.5e-7,"a":[true,false,null,[]]}'
    const o = await emulator.invoke(`{"op": "echo", "value": ${value}}`)
    expect(expectResponse(o).toString()).toBe(value)
    expect(o.headers['content-type']).toBeUndefined()
  })

  it('keeps globals between invocations in one process', async () => {
    const { emulator } = await start()
    const counts: unknown[] = []
    for (let i = 0; i < 3; i++) counts.push(json(await emulator.invoke({ op: 'count' })))
    expect(counts).toEqual([1, 2, 3])
    expect(emulator.connections).toBe(1)
  })

  it('hands the request context to the handler, header values whole', async () => {
    const { emulator } = await start()
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:my-fn:prod'
    const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'
    const deadlineMs = Date.now() + 5000
    const o = await emulator.invoke(
      { op: 'context' },
      {
        requestId: 'req-1',
        deadlineMs,
        functionArn: arn,
        traceId,
        clientContext: { client: { app: 'x:y' } },
        cognitoIdentity: { cognitoIdentityId: 'eu-west-1:abc' },
        tenantId: 'tenant:7',
        invocationId: 'inv-42',
      },
    )
    const ctx = json(o) as Record<string, unknown>
    expect(ctx.requestId).toBe('req-1')
    expect(ctx.deadline).toBe(deadlineMs)
    expect(ctx.remaining).toBeGreaterThan(3000)
    expect(ctx.remaining).toBeLessThanOrEqual(5000)
    expect(ctx.arn).toBe(arn)
    expect(ctx.trace).toBe(traceId)
    expect(ctx.traceEnv).toBe(traceId)
    expect(ctx.clientContext).toEqual({ client: { app: 'x:y' } })
    expect(ctx.cognito).toEqual({ cognitoIdentityId: 'eu-west-1:abc' })
    expect(ctx.tenant).toBe('tenant:7')
    expect(ctx.headers).toContainEqual(['Lambda-Runtime-Invoked-Function-Arn', arn])
    expect(ctx.headers).toContainEqual(['Lambda-Runtime-Trace-Id', traceId])
    // The invocation id goes back on the response
    expect(o.headers['lambda-runtime-invocation-id']).toBe('inv-42')
  })

  it('sets _X_AMZN_TRACE_ID per invocation and unsets it when absent', async () => {
    const { emulator } = await start()
    const first = json(await emulator.invoke({ op: 'context' }, { traceId: 'Root=1-a' }))
    const second = json(await emulator.invoke({ op: 'context' }))
    const third = json(await emulator.invoke({ op: 'context' }, { traceId: 'Root=1-b' }))
    expect((first as { traceEnv: string }).traceEnv).toBe('Root=1-a')
    expect((second as { traceEnv: string }).traceEnv).toBe('unset')
    expect((second as { arn: unknown }).arn).toEqual({}) // absent: NIL, which encodes as {}
    expect((third as { traceEnv: string }).traceEnv).toBe('Root=1-b')
  })

  it('does not grow with a new trace id every invocation, as Lambda sends them', async () => {
    // glibc's setenv keeps every value it was given: 140 bytes an invocation, for good
    const { emulator, child } = await start()
    const rssKb = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1])
    let n = 0
    const invocations = async (count: number) => {
      for (let i = 0; i < count; i++, n++)
        expectResponse(
          await emulator.invoke({ op: 'count' }, { traceId: `Root=1-${n}-${'t'.repeat(80)}` }),
        )
    }
    await invocations(1000) // The heap grows to its size first
    const warm = rssKb()
    await invocations(3000) // 420 KB more with setenv
    expect(rssKb() - warm).toBeLessThan(200)
  })

  it('keeps _X_AMZN_TRACE_ID right through long and short ids, and after the handler set it', async () => {
    // The runtime rewrites one string of its own in place (glibc's setenv kept a copy
    // of every id, growing the process): a longer id needs a new one, a shorter one
    // must not show the longer one's tail, and a handler may have set it meanwhile
    const { emulator } = await start()
    const traceEnv = async (traceId?: string) =>
      (
        json(await emulator.invoke({ op: 'context' }, traceId ? { traceId } : {})) as {
          traceEnv: string
        }
      ).traceEnv
    const long = `Root=1-${'a'.repeat(1000)}`
    expect(await traceEnv('Root=1-short')).toBe('Root=1-short')
    expect(await traceEnv(long)).toBe(long)
    expect(await traceEnv('Root=1-s')).toBe('Root=1-s')
    expect(json(await emulator.invoke({ op: 'set-trace' }, { traceId: 'Root=1-x' }))).toBe(1)
    expect(await traceEnv('Root=1-after')).toBe('Root=1-after')
    expect(await traceEnv()).toBe('unset')
    expect(await traceEnv('Root=1-again')).toBe('Root=1-again')
  })

  it('carries 1 MB and 5.9 MB events and responses', async () => {
    const { emulator } = await start()
    for (const size of [1024 * 1024, 5.9 * 1024 * 1024]) {
      const value = 'é'.repeat(Math.floor(size / 4)) + 'x'.repeat(Math.floor(size / 2))
      const o = await emulator.invoke({ op: 'echo', value: [value] })
      const body = expectResponse(o)
      expect(body.length).toBeGreaterThan(size * 0.95)
      expect(JSON.parse(body.toString('utf8'))).toEqual([value])
    }
    expect(emulator.connections).toBe(1)
  })

  // Lambda's Go server sends events over 2048 bytes chunked: the emulator too
  it.each([
    ['lambda', [2048, 2049, 3 * 1024, 100 * 1024, 5 * 1024 * 1024]],
    ['content-length', [100, 3 * 1024, 1024 * 1024]],
  ] as const)('echoes events of every size framed the %s way', async (framing, sizes) => {
    const { emulator } = await runtime.start({ 'ops.l': OPS_HANDLER }, 'ops.main', {}, framing)
    for (const size of sizes) {
      const event = JSON.stringify({ op: 'echo', value: { pad: '' } })
      const padded = event.replace('"pad":""', `"pad":"${'y'.repeat(size - event.length)}"`)
      expect(Buffer.byteLength(padded)).toBe(size)
      const o = await emulator.invoke(padded)
      expect(JSON.parse(expectResponse(o).toString('utf8'))).toEqual(JSON.parse(padded).value)
    }
    expect(emulator.connections).toBe(1)
  })

  it('keeps non-ASCII text intact both ways', async () => {
    const { emulator } = await start()
    const value = { text: 'Grüße, 日本語, emoji 😀, ✓' }
    expect(json(await emulator.invoke({ op: 'echo', value }))).toEqual(value)
    // A string result is sent verbatim, not JSON-encoded
    const o = await emulator.invoke({ op: 'echo', value: 'naïve ☃' })
    expect(expectResponse(o).toString('utf8')).toBe('naïve ☃')
  })

  it('reports a handler error, then serves the next invocation with state intact', async () => {
    const { emulator } = await start()
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(1)
    const failed = await emulator.invoke({ op: 'fail', value: 7 }, { invocationId: 'inv-9' })
    const err = expectError(failed, 'Function.Error')
    expect(err.errorMessage).toContain('(car (op E "value"))')
    expect(err.stackTrace[0]).toContain('car')
    expect(failed.headers['lambda-runtime-invocation-id']).toBe('inv-9')
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
  })

  it('reports quit and an uncaught throw as errors and goes on', async () => {
    const { emulator } = await start()
    await emulator.invoke({ op: 'count' })
    expect(
      expectError(await emulator.invoke({ op: 'quit' }), 'Function.Error').errorMessage,
    ).toContain('Order rejected')
    expect(
      expectError(await emulator.invoke({ op: 'throw' }), 'Function.Error').errorMessage,
    ).toContain('Tag not found')
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
  })

  it('restarts afresh after a bare (quit) or a stack overflow, keeping the process', async () => {
    const { emulator, child } = await start()
    await emulator.invoke({ op: 'count' })
    const quit = expectError(await emulator.invoke({ op: 'bare-quit' }), 'Runtime.ExitError')
    expect(quit.errorMessage).toContain('ended the process')
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(1)
    // PicoLisp loses its stack check after a caught overflow: the second one
    // would crash an unrestarted process
    for (let i = 0; i < 2; i++) {
      const deep = expectError(await emulator.invoke({ op: 'deep' }), 'Function.Error')
      expect(deep.errorMessage).toContain('Stack overflow')
    }
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(1)
    expect(child.exitCode).toBeNull()
  })

  it('reports an unencodable return value as Runtime.MarshalError', async () => {
    const { emulator } = await start()
    const err = expectError(await emulator.invoke({ op: 'unencodable' }), 'Runtime.MarshalError')
    expect(err.errorMessage).toContain('Cannot encode as JSON')
    expect(err.errorMessage).toContain('not-json')
    expect(json(await emulator.invoke({ op: 'echo', value: [1] }))).toEqual([1])
  })

  it('reports a return value that holds itself as Runtime.MarshalError, again and again', async () => {
    const { emulator, child } = await start()
    for (let i = 0; i < 3; i++) {
      const err = expectError(await emulator.invoke({ op: 'self' }), 'Runtime.MarshalError')
      // Shown cut short: printed whole, it overflowed the stack and killed the process
      expect(err.errorMessage).toContain('Cannot encode as JSON: object member is not a')
      expect(err.errorMessage).toContain('"..."')
    }
    expect(json(await emulator.invoke({ op: 'echo', value: [1] }))).toEqual([1])
    expect(child.exitCode).toBeNull()
  })

  it('reports an event that is not JSON as Runtime.UnmarshalError and goes on', async () => {
    const { emulator } = await start()
    const err = expectError(await emulator.invoke('{"op": "echo",'), 'Runtime.UnmarshalError')
    expect(err.errorMessage).toContain('Invalid JSON')
    expect(json(await emulator.invoke({ op: 'echo', value: 5 }))).toBe(5)
  })

  it('gives a raw-mode handler the undecoded event', async () => {
    const rt = await runtime.start({ 'raw.l': RAW_HANDLER }, 'raw.main')
    const o = await rt.emulator.invoke('{"not": "decoded" ,  "x":1}')
    expect(expectResponse(o).toString()).toBe('raw:{"not": "decoded" ,  "x":1}')
    // Bodies over 4 KB take another path (an in-memory file)
    const big = `"${'ü'.repeat(300_000)}"`
    expect(expectResponse(await rt.emulator.invoke(big)).toString()).toBe(`raw:${big}`)
  })

  it('logs a response over 6 MB, which the API fails itself, and goes on', async () => {
    const { emulator, stdout } = await start()
    await emulator.invoke({ op: 'count' })
    // As Lambda's Runtime API does, the 413 ends the invocation with its own error
    const o = await emulator.invoke({ op: 'big', size: 6.5 * 1024 * 1024 })
    expect(o.kind === 'error' && o.errorType).toBe('Function.ResponseSizeTooLarge')
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
    expect(stdout()).toMatch(
      /\tERROR\tFunction\.ResponseSizeTooLarge: the response of 6815744 bytes exceeds/,
    )
    expect(stdout()).not.toMatch(/WARN/)
  })

  it('exits non-zero when the API answers 500', async () => {
    const { emulator, exited } = await start()
    emulator.injectStatus({ on: 'response', status: 500 })
    const failure = await emulator.invoke({ op: 'count' }).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(RuntimeExitedError)
    expect((failure as RuntimeExitedError).code).toBe(1)
    expect(await exited).toBe(1)
  })

  it('logs a 410 and serves the next invocation', async () => {
    const r = await start()
    r.emulator.injectStatus({ on: 'response', status: 410 })
    await r.emulator.invoke({ op: 'count' })
    expect(json(await r.emulator.invoke({ op: 'count' }))).toBe(2)
    expect(r.stdout()).toMatch(/WARN\tRuntime API answered 410 to response/)
  })

  it('reconnects when the server closes the connection during /next', async () => {
    const { emulator } = await start()
    await emulator.invoke({ op: 'count' })
    await waitFor(() => emulator.nextRequests === 2)
    emulator.dropNextPoll()
    expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
    expect(emulator.connections).toBe(2)
  })

  it('writes JSON log records with timestamp, level, requestId and message', async () => {
    const r = await start({ AWS_LAMBDA_LOG_FORMAT: 'JSON' })
    await r.emulator.invoke({ op: 'log', value: 'wörld' }, { requestId: 'req-log' })
    await r.emulator.invoke({ op: 'fail', value: 1 }, { requestId: 'req-fail' })
    // The records are written before the answer goes out, but the pipe may lag
    await waitFor(() => r.stdout().includes('"level":"ERROR"'))
    const records = r
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, string>)
    expect(records).toContainEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'INFO',
      requestId: 'req-log',
      message: 'hello wörld',
    })
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        requestId: 'req-fail',
        message: expect.stringContaining('Function.Error'),
      }),
    )
  })

  it('keeps handler output on stdout and stderr out of the HTTP stream', async () => {
    const r = await start()
    const o = await r.emulator.invoke({ op: 'noise' })
    expect(expectResponse(o).toString()).toBe('quiet')
    expect(json(await r.emulator.invoke({ op: 'count' }))).toBe(1)
    expect(r.stdout()).toContain('HTTP/1.1 200 OK')
  })

  it('survives a handler named main that redefines itself and common names', async () => {
    const { emulator } = await start()
    expect(json(await emulator.invoke({ op: 'globals' }))).toEqual({
      values: ['user Len', 'user Status', 'user File', 'user Hdrs'],
    })
    expect(expectResponse(await emulator.invoke({ op: 'redefine' })).toString()).toBe('redefined')
    expect(json(await emulator.invoke({ op: 'anything' }))).toEqual({ redefined: 1 })
    expect(json(await emulator.invoke({}))).toEqual({ redefined: 2 })
  })
})

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!cond()) throw new Error('condition not reached')
}
