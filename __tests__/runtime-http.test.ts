import { type ChildProcess, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRuntimeLayer } from './support/runtime-layer.js'
import { makeTaskRoot } from './support/runtime-process.js'

// The runtime's HTTP reader against a server that is not Node's: a raw socket
// that answers with lowercase header names and lines ended by a bare LF, which
// HTTP/1.1 readers are expected to accept.

interface Request {
  head: string
  body: string
}

/** Reads one request (head and Content-Length body) from the data seen so far. */
function takeRequest(buffer: string): [Request, string] | undefined {
  const end = buffer.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = buffer.slice(0, end)
  const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
  const rest = buffer.slice(end + 4)
  if (Buffer.byteLength(rest) < length) return undefined
  return [{ head, body: rest.slice(0, length) }, rest.slice(length)]
}

describe('the runtime reading HTTP from a raw server', () => {
  let layer = ''
  let child: ChildProcess | undefined
  let server: net.Server | undefined

  beforeAll(async () => {
    layer = await buildRuntimeLayer()
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    server?.close()
    await rm(layer, { recursive: true, force: true })
  })

  it('accepts lowercase header names and bare-LF line ends', async () => {
    const event = '{"a":[1,"x:y"]}'
    const requests: Request[] = []
    let answer: (request: Request) => void = () => {}
    const answered = new Promise<Request>((resolve) => {
      answer = resolve
    })
    const raw = net.createServer((socket) => {
      let buffer = ''
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8')
        for (let taken = takeRequest(buffer); taken; taken = takeRequest(buffer)) {
          const [request, rest] = taken
          buffer = rest
          requests.push(request)
          if (request.head.startsWith('GET') && requests.length === 1) {
            socket.write(
              `HTTP/1.1 200 OK\nlambda-runtime-aws-request-id: req-1\nlambda-runtime-deadline-ms: ${Date.now() + 60_000}\ncontent-length: ${event.length}\n\n${event}`,
            )
          } else if (request.head.startsWith('POST')) {
            socket.write('HTTP/1.1 202 Accepted\ncontent-length: 2\n\n{}')
            answer(request)
          } // a second GET /next waits, as Lambda's would
        }
      })
    })
    server = raw
    const port = await new Promise<number>((resolve) =>
      raw.listen(0, '127.0.0.1', () => resolve((raw.address() as net.AddressInfo).port)),
    )
    const taskRoot = await makeTaskRoot({ 'echo.l': '(de handler (Event Headers) Event)\n' })
    child = spawn(join(layer, 'bootstrap'), [], {
      cwd: taskRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: taskRoot,
        _HANDLER: 'echo.handler',
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      },
      stdio: 'ignore',
    })
    const response = await answered
    expect(response.head).toMatch(/^POST \/2018-06-01\/runtime\/invocation\/req-1\/response /)
    expect(response.body).toBe(event)
    // The 202 was read too: the runtime asks for the next event on the same connection
    await expect.poll(() => requests.length).toBe(3)
    expect(requests[2]?.head).toMatch(/^GET \/2018-06-01\/runtime\/invocation\/next /)
    await rm(taskRoot, { recursive: true, force: true })
  })
})
