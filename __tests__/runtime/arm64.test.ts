import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { InvokeOutcome } from '../../src/invoke/runtime-api-emulator.js'
import { OPS_HANDLER, RAW_HANDLER } from '../support/runtime-handlers.js'
import { useRuntimeLayer } from '../support/runtime-process.js'

// The runtime on sid's arm64 PicoLisp, as on Lambda's Graviton functions, run
// by qemu-aarch64 in user mode. What matters here is what the runtime passes to
// 'native' (setsockopt, gettimeofday's timeval, memfd_create, mmap, sendfile,
// memchr, malloc): each constant and structure must be right on arm64 too.
//
// The error paths run too: catching an error takes pil21's own unwinding and
// stack check, which differ per architecture. (An error inside 'catch' was
// reported to hang under qemu-user; with Debian 12's qemu 7.2 it does not, on
// 23.2 or 26.9.) Only the fresh start after a stack overflow or a bare (quit)
// cannot run: it execs the arm64 interpreter, which needs binfmt.

const RELEASES = process.env.PIL_RELEASES ?? '/var/cache/picolisp-lambda-action/releases'
const ROOT = join(RELEASES, 'arm64', 'root')
const QEMU = 'qemu-aarch64-static'
// qemu translates every instruction: here the file takes seconds, but a slow
// CI machine must not turn that into a timeout
const SLOW = 300_000

// There is no binfmt for arm64 here, so bootstrap's exec of the interpreter
// would fail: the tests run bootstrap's own command line behind qemu, with -L
// naming the root that holds the arm64 loader and libraries.
const runtime = useRuntimeLayer({
  picoLisp: { bin: join(ROOT, 'usr/bin/picolisp'), home: join(ROOT, 'usr/lib/picolisp') },
  prefix: [QEMU, '-L', ROOT],
})

// CI always has the root: a missing one fails the file rather than skipping it
beforeAll(() => {
  if (!existsSync(join(ROOT, 'usr/bin/picolisp')) || !existsSync(join(ROOT, 'lib'))) {
    throw new Error(
      `No arm64 PicoLisp root at ${ROOT} (usr/bin/picolisp and a lib -> usr/lib link expected): ` +
        'run scripts/picolisp-releases.sh, or set PIL_RELEASES to where it put the releases',
    )
  }
  if (spawnSync(QEMU, ['--version']).status !== 0) {
    throw new Error(`${QEMU} does not run: install Debian's qemu-user-static`)
  }
})

function start(env: Record<string, string> = {}) {
  return runtime.start({ 'ops.l': OPS_HANDLER }, 'ops.main', env)
}

function expectError(o: InvokeOutcome, errorType: string): string {
  if (o.kind !== 'error') throw new Error(`expected an error, got ${o.kind}: ${o.body}`)
  const body = JSON.parse(o.body.toString('utf8')) as { errorMessage: string; errorType: string }
  expect([o.errorType, body.errorType]).toEqual([errorType, errorType])
  return body.errorMessage
}

function expectResponse(o: InvokeOutcome): Buffer {
  if (o.kind !== 'response') throw new Error(`expected a response, got ${o.kind}: ${o.body}`)
  return o.body
}

function json(o: InvokeOutcome): unknown {
  return JSON.parse(expectResponse(o).toString('utf8'))
}

// Strings 'print' writes with caret escapes (control characters, a caret),
// repaired natively with memchr and malloc, plus quotes, backslashes and UTF-8.
const TRICKY = 'a\u0001b\n"q"\\^c\u001fé日😀'

/**
 * An event value of about Size bytes of JSON. From 3 KB on it is an array of
 * 300 elements: past 256 cells a result is encoded into the memfd buffer
 * file, repaired through mmap and sent with sendfile.
 */
function eventValue(size: number): unknown {
  if (size <= 100) return { s: TRICKY, n: -1234567890123, f: 1.5e-7, a: [true, null] }
  const build = (pad: number) =>
    Array.from({ length: 300 }, (_, i) =>
      i % 2 === 0 ? i : `${i % 30 === 1 ? TRICKY : ''}${'x'.repeat(pad)}`,
    )
  const pad = Math.max(0, Math.floor((size - JSON.stringify(build(0)).length) / 150))
  return build(pad)
}

describe('the runtime on arm64 PicoLisp under qemu-aarch64', () => {
  it(
    'runs on the aarch64 interpreter',
    async () => {
      const rt = await runtime.start({ 'cpu.l': '(de main (E H) *CPU)\n' }, 'cpu.main')
      expect(expectResponse(await rt.emulator.invoke({})).toString()).toBe('aarch64')
    },
    SLOW,
  )

  // Lambda sends events over 2048 bytes chunked; the other framing always
  // gives a Content-Length
  it.each(['lambda', 'content-length'] as const)(
    'echoes events of 100 B, 3 KB and 1 MB, several in a row, framed the %s way',
    async (framing) => {
      const { emulator } = await runtime.start({ 'ops.l': OPS_HANDLER }, 'ops.main', {}, framing)
      for (let round = 0; round < 2; round++) {
        for (const size of [100, 3 * 1024, 1024 * 1024]) {
          const value = eventValue(size)
          const event = JSON.stringify({ op: 'echo', value })
          expect(Buffer.byteLength(event)).toBeGreaterThan(size * 0.9)
          expect(json(await emulator.invoke(event))).toEqual(value)
        }
      }
      expect(emulator.connections).toBe(1)
    },
    SLOW,
  )

  it(
    'keeps globals between invocations in one process',
    async () => {
      const { emulator } = await start()
      const counts: unknown[] = []
      for (let i = 0; i < 3; i++) counts.push(json(await emulator.invoke({ op: 'count' })))
      expect(counts).toEqual([1, 2, 3])
    },
    SLOW,
  )

  it(
    'hands the request context to the handler, remaining time from the real clock',
    async () => {
      const { emulator } = await start()
      const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'
      const deadlineMs = Date.now() + 60_000
      const o = await emulator.invoke(
        { op: 'context' },
        {
          requestId: 'req-arm',
          deadlineMs,
          functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
          traceId,
          clientContext: { client: { app: 'x:y' } },
          invocationId: 'inv-arm',
        },
      )
      const ctx = json(o) as Record<string, unknown>
      expect(ctx.requestId).toBe('req-arm')
      expect(ctx.deadline).toBe(deadlineMs)
      // gettimeofday's timeval read wrongly would be off by far more than this
      expect(ctx.remaining).toBeGreaterThan(30_000)
      expect(ctx.remaining).toBeLessThanOrEqual(60_000)
      expect(ctx.trace).toBe(traceId)
      expect(ctx.traceEnv).toBe(traceId)
      expect(ctx.clientContext).toEqual({ client: { app: 'x:y' } })
      expect(o.headers['lambda-runtime-invocation-id']).toBe('inv-arm')
      // Without a trace id, unsetenv removes the variable again
      const next = json(await emulator.invoke({ op: 'context' })) as Record<string, unknown>
      expect(next.traceEnv).toBe('unset')
    },
    SLOW,
  )

  it(
    'stamps JSON log records with the current time',
    async () => {
      const r = await start({ AWS_LAMBDA_LOG_FORMAT: 'JSON' })
      const before = Date.now()
      await r.emulator.invoke({ op: 'log', value: 'arm' }, { requestId: 'req-log' })
      const after = Date.now()
      await waitFor(() => r.stdout().includes('"message":"hello arm"'))
      const record = r
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"message":"hello arm"'))
        .map((l) => JSON.parse(l) as Record<string, string>)[0]
      expect(record).toMatchObject({ level: 'INFO', requestId: 'req-log' })
      const stamp = Date.parse(record?.timestamp ?? '')
      expect(stamp).toBeGreaterThanOrEqual(before - 1000) // whole ms: truncation, clock steps
      expect(stamp).toBeLessThanOrEqual(after + 1000)
    },
    SLOW,
  )

  it(
    'gives a raw-mode handler the undecoded event, small and through the memfd',
    async () => {
      const rt = await runtime.start({ 'raw.l': RAW_HANDLER }, 'raw.main')
      const small = '{"not": "decoded" ,  "x":1}'
      expect(expectResponse(await rt.emulator.invoke(small)).toString()).toBe(`raw:${small}`)
      const big = `"${'ü'.repeat(300_000)}"`
      expect(expectResponse(await rt.emulator.invoke(big)).toString()).toBe(`raw:${big}`)
      expect(expectResponse(await rt.emulator.invoke(small)).toString()).toBe(`raw:${small}`)
    },
    SLOW,
  )
})

describe('errors on arm64 PicoLisp under qemu-aarch64', () => {
  it(
    'reports handler errors, quit and an uncaught throw, and goes on with its state',
    async () => {
      const { emulator } = await start()
      expect(json(await emulator.invoke({ op: 'count' }))).toBe(1)
      const fail = await emulator.invoke({ op: 'fail', value: 7 })
      expect(expectError(fail, 'Function.Error')).toContain('(car (op E "value"))')
      const quit = await emulator.invoke({ op: 'quit' })
      expect(expectError(quit, 'Function.Error')).toContain('Order rejected')
      const thrown = await emulator.invoke({ op: 'throw' })
      expect(expectError(thrown, 'Function.Error')).toContain('Tag not found')
      expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
    },
    SLOW,
  )

  it(
    'reports invalid JSON, small and through the memfd, and an unencodable result',
    async () => {
      const { emulator } = await start()
      const invalid: [string, string][] = [
        ['{"op": "echo",', 'expected a string key'],
        [`{"op": "echo", "value": "${'x'.repeat(3000)}`, 'unterminated string'],
      ]
      for (const [event, message] of invalid) {
        const o = await emulator.invoke(event)
        expect(expectError(o, 'Runtime.UnmarshalError')).toContain(message)
      }
      const o = await emulator.invoke({ op: 'unencodable' })
      expect(expectError(o, 'Runtime.MarshalError')).toContain('Cannot encode as JSON')
      expect(json(await emulator.invoke({ op: 'echo', value: [1] }))).toEqual([1])
    },
    SLOW,
  )

  it(
    'reports a stack overflow',
    async () => {
      const { emulator } = await start()
      const o = await emulator.invoke({ op: 'deep' })
      expect(expectError(o, 'Function.Error')).toContain('Stack overflow')
      // The runtime then execs itself afresh, which needs binfmt: not here
    },
    SLOW,
  )

  it(
    'reports a handler file without the function as an init error',
    async () => {
      const rt = await runtime.start({ 'h.l': '(de other (E H) E)\n' }, 'h.main')
      const outcome = await rt.emulator.initError()
      expect(outcome.errorType).toBe('Runtime.HandlerNotFound')
      expect(await rt.exited).toBe(1)
    },
    SLOW,
  )
})

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!cond()) throw new Error('condition not reached')
}
