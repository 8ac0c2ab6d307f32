import { type ChildProcess, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildNativeCodec } from '../support/native-json.js'
import { pilBin, pilHome } from '../support/picolisp.js'
import { buildRuntimeLayer, nativeIn } from '../support/runtime-layer.js'
import { makeTaskRoot } from '../support/runtime-process.js'

// The runtime's HTTP reader against a raw socket server that answers each
// GET /next with bytes the test writes: every framing HTTP/1.1 allows, and
// messages that break it. Whatever comes, the runtime must answer every
// invocation whose request id it learned, and never read one message's
// bytes as the next one's. All of it twice: with the Lisp reader alone, and
// with the native library's (runtime/native/http.l), which takes the plain
// messages and leaves the rest to the Lisp reader.

interface Request {
  head: string
  body: string
  /** Which connection it came on, counting from 0. */
  connection: number
}

/** Reads one request (head and Content-Length body) from the data seen so far, one char a byte. */
function takeRequest(buffer: string): [Omit<Request, 'connection'>, string] | undefined {
  const end = buffer.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = buffer.slice(0, end)
  const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
  const rest = buffer.slice(end + 4)
  if (rest.length < length) return undefined
  return [{ head, body: rest.slice(0, length) }, rest.slice(length)]
}

/** What to answer one GET /next with: the raw bytes, and whether to close afterwards. */
interface NextAnswer {
  raw: string
  close?: boolean
}

/**
 * Answers the n-th GET /next (over all connections) with the n-th answer,
 * and every POST with a 202; once the answers run out, /next waits.
 */
async function scriptedApi(answers: NextAnswer[]) {
  const requests: Request[] = []
  const waiters: (() => void)[] = []
  let polls = 0
  let connections = 0
  const server = net.createServer((socket) => {
    const connection = connections++
    let buffer = ''
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1')
      for (let taken = takeRequest(buffer); taken; taken = takeRequest(buffer)) {
        const [request, rest] = taken
        buffer = rest
        requests.push({ ...request, connection })
        for (const wake of waiters.splice(0)) wake()
        if (request.head.startsWith('GET')) {
          const answer = answers[polls++]
          if (!answer) continue // Lambda's /next waits for the next event
          socket.write(answer.raw, 'latin1')
          if (answer.close) socket.end()
        } else {
          socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n')
        }
      }
    })
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  )
  return {
    port,
    requests,
    /** The POSTs so far, as [path, body]. */
    posts: () =>
      requests
        .filter((r) => r.head.startsWith('POST'))
        .map((r) => [r.head.split(' ')[1], r.body] as const),
    /** Resolves once `count` requests came. */
    until: async (count: number) => {
      while (requests.length < count) await new Promise<void>((wake) => waiters.push(wake))
    },
    close: () => server.close(),
  }
}

const headers = (id: string) =>
  `Lambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\n`

const ok = (id: string, body: string): NextAnswer => ({
  raw: `HTTP/1.1 200 OK\r\n${headers(id)}Content-Length: ${body.length}\r\n\r\n${body}`,
})

const RESPONSE = (id: string) => `/2018-06-01/runtime/invocation/${id}/response`
const ERROR = (id: string) => `/2018-06-01/runtime/invocation/${id}/error`

describe.each(['lisp', 'native'])(
  'the runtime reading HTTP from a raw server (%s reader)',
  (reader) => {
    let layer = ''
    let child: ChildProcess | undefined
    let api: Awaited<ReturnType<typeof scriptedApi>> | undefined
    let log = ''

    beforeAll(async () => {
      const nativeLib = reader === 'native' ? (await buildNativeCodec()).lib : undefined
      layer = await buildRuntimeLayer({}, { bin: pilBin, home: pilHome, nativeLib })
    }, 300_000)

    it('runs with that reader', () => {
      expect(nativeIn(layer)).toBe(reader === 'native')
    })
    afterEach(() => {
      child?.kill('SIGKILL')
      api?.close()
    })
    afterAll(async () => {
      await rm(layer, { recursive: true, force: true })
    })

    /** Starts the runtime with an echo handler against a server answering /next with `answers`. */
    async function serve(answers: NextAnswer[], handler = '(de handler (Event Headers) Event)') {
      api = await scriptedApi(answers)
      const taskRoot = await makeTaskRoot({ 'echo.l': `${handler}\n` })
      log = ''
      child = spawn(join(layer, 'bootstrap'), [], {
        cwd: taskRoot,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LAMBDA_TASK_ROOT: taskRoot,
          _HANDLER: 'echo.handler',
          AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${api.port}`,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      child.stdout?.on('data', (c: Buffer) => {
        log += c.toString('utf8')
      })
      return api
    }

    it('accepts lowercase header names and bare-LF line ends', async () => {
      const event = '{"a":[1,"x:y"]}'
      const api = await serve([
        {
          raw: `HTTP/1.1 200 OK\nlambda-runtime-aws-request-id: req-1\nlambda-runtime-deadline-ms: ${Date.now() + 60_000}\ncontent-length: ${event.length}\n\n${event}`,
        },
      ])
      await api.until(3)
      expect(api.posts()).toEqual([[RESPONSE('req-1'), event]])
      // The 202 was read too: the runtime asks for the next event on the same connection
      expect(api.requests[2]?.head).toMatch(/^GET \/2018-06-01\/runtime\/invocation\/next /)
      expect(api.requests[2]?.connection).toBe(0)
    })

    it('sets the request context from header names in any case', async () => {
      const deadline = Date.now() + 60_000
      const api = await serve(
        [
          {
            raw: `HTTP/1.1 200 OK\r\nLAMBDA-RUNTIME-AWS-REQUEST-ID: k-1\r\nlambda-runtime-deadline-ms: ${deadline}\r\nLambda-Runtime-Trace-Id: Root=1\r\nlambda-Runtime-invoked-function-ARN: arn:x\r\nContent-Length: 2\r\n\r\n{}`,
          },
        ],
        '(de handler (Event Headers) (list T *LambdaRequestId *LambdaDeadline *LambdaTraceId *LambdaFunctionArn))',
      )
      await api.until(3)
      expect(api.posts()).toEqual([
        [RESPONSE('k-1'), JSON.stringify(['k-1', deadline, 'Root=1', 'arn:x'])],
      ])
    })

    it('reads chunked bodies with extensions and trailers, on one connection', async () => {
      const event = JSON.stringify({ text: 'é'.repeat(3000), n: [1, 2, 3] })
      const bytes = Buffer.from(event).toString('latin1')
      const chunked =
        `${(1000).toString(16)};name=value\r\n${bytes.slice(0, 1000)}\r\n` +
        `${(bytes.length - 1000).toString(16).toUpperCase()} \r\n${bytes.slice(1000)}\r\n` +
        '0\r\nX-Checksum: none\r\n\r\n'
      const api = await serve([
        { raw: `HTTP/1.1 200 OK\r\n${headers('c-1')}Transfer-Encoding: chunked\r\n\r\n${chunked}` },
        ok('c-2', '[true]'),
      ])
      await api.until(5)
      expect(
        api.posts().map(([path, body]) => [path, Buffer.from(body, 'latin1').toString()]),
      ).toEqual([
        [RESPONSE('c-1'), event],
        [RESPONSE('c-2'), '[true]'],
      ])
      expect(new Set(api.requests.map((r) => r.connection))).toEqual(new Set([0]))
    })

    it('reads a body ended by the end of the connection, then reconnects', async () => {
      const api = await serve([
        { raw: `HTTP/1.1 200 OK\r\n${headers('e-1')}\r\n{"until":"close"}`, close: true },
        ok('e-2', '{"next":1}'),
      ])
      await api.until(5)
      expect(api.posts()).toEqual([
        [RESPONSE('e-1'), '{"until":"close"}'],
        [RESPONSE('e-2'), '{"next":1}'],
      ])
      expect(api.requests.at(-1)?.connection).toBeGreaterThan(0)
    })

    // Larger than pil21's 4 KB input buffer: most of it is read from the socket
    // past the bytes pil21 buffered with the head
    it('reads large bodies, chunked, by length and ended by the connection', async () => {
      const event = (n: number) => JSON.stringify({ n, text: 'x'.repeat(200_000 + n) })
      const api = await serve([
        {
          raw: `HTTP/1.1 200 OK\r\n${headers('l-1')}Transfer-Encoding: chunked\r\n\r\n${event(1).length.toString(16)}\r\n${event(1)}\r\n0\r\n\r\n`,
        },
        ok('l-2', event(2)),
        { raw: `HTTP/1.1 200 OK\r\n${headers('l-3')}\r\n${event(3)}`, close: true },
        ok('l-4', '{"next":1}'),
      ])
      await api.until(9)
      expect(api.posts()).toEqual([
        [RESPONSE('l-1'), event(1)],
        [RESPONSE('l-2'), event(2)],
        [RESPONSE('l-3'), event(3)],
        [RESPONSE('l-4'), '{"next":1}'],
      ])
    })

    // Each breaks HTTP after the request id: the runtime must answer that
    // invocation with an error on a fresh connection, then serve the next one.
    const broken: [string, string, string][] = [
      [
        'a header line without a colon',
        `${headers('b-1')}Oops\r\n\r\n{}`,
        'header line without a colon',
      ],
      [
        'a bad chunk size',
        `${headers('b-1')}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        'bad chunk size',
      ],
      [
        'both framings at once',
        `${headers('b-1')}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        'both Content-Length and Transfer-Encoding',
      ],
      [
        'a negative length',
        `${headers('b-1')}Content-Length: -5\r\n\r\n{}`,
        'bad Content-Length -5',
      ],
      [
        'a length that is no number',
        `${headers('b-1')}Content-Length: 2x\r\n\r\n{}`,
        'bad Content-Length 2x',
      ],
      [
        'two different lengths',
        `${headers('b-1')}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        'two different',
      ],
      [
        'two different lengths before the request id',
        `Content-Length: 2\r\nContent-Length: 3\r\n${headers('b-1')}\r\n{}`,
        'two different',
      ],
      [
        'a bare CR ending the head',
        `${headers('b-1')}Content-Length: 2\r\n\r{}`,
        'no line end after the head',
      ],
      [
        'a bare CR ending a chunk size',
        `${headers('b-1')}Transfer-Encoding: chunked\r\n\r\n2\r{}\r\n0\r\n\r\n`,
        'no line end after a chunk size',
      ],
      [
        'a chunk not ended by a line end',
        `${headers('b-1')}Transfer-Encoding: chunked\r\n\r\n2\r\n{}xx\r\n0\r\n\r\n`,
        'no line end after a chunk',
      ],
      [
        "a body over Lambda's 6 MB",
        `${headers('b-1')}Content-Length: 7000000\r\n\r\n{}`,
        "Lambda's payload limit",
      ],
    ]
    it.each(broken)(
      'answers an invocation whose message has %s, then goes on',
      async (_, rest, why) => {
        const api = await serve([{ raw: `HTTP/1.1 200 OK\r\n${rest}` }, ok('b-2', '{"fine":true}')])
        await api.until(5)
        const [error, response] = api.posts()
        expect(error?.[0]).toBe(ERROR('b-1'))
        const answer = JSON.parse(error?.[1] ?? '{}')
        expect(answer.errorType).toBe('Runtime.UnmarshalError')
        expect(answer.errorMessage).toContain(why)
        expect(response).toEqual([RESPONSE('b-2'), '{"fine":true}'])
        expect(log).toContain(why)
      },
    )

    it('answers an invocation whose body was cut short by the end of the connection', async () => {
      const api = await serve([
        {
          raw: `HTTP/1.1 200 OK\r\n${headers('s-1')}Content-Length: 5000\r\n\r\n{"a":`,
          close: true,
        },
        ok('s-2', '1'),
      ])
      await api.until(5)
      const [error, response] = api.posts()
      expect(error?.[0]).toBe(ERROR('s-1'))
      expect(JSON.parse(error?.[1] ?? '{}').errorMessage).toContain('ended inside the body')
      expect(response).toEqual([RESPONSE('s-2'), '1'])
    })

    it('refuses a request id that is not a plain token, and never sends it', async () => {
      const api = await serve([ok('../../init/error', '{}'), ok('x y', '{}'), ok('t-3', '{}')])
      await api.until(5)
      expect(api.posts()).toEqual([[RESPONSE('t-3'), '{}']])
      expect(log).toMatch(
        /ERROR\tInvocation refused: its request id is not a plain token: "\.\.\/\.\.\/init\/error"/,
      )
      expect(log).toMatch(/ERROR\tInvocation refused: .*"x y"/)
    })
  },
)
