import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildServer, echo, RuntimeApiServer } from '../../bench/runtime-api-server.js'
import { RawHttpConnection } from '../support/raw-http-client.js'

// The benchmark's C Runtime API server: Lambda's framing of /next, and the
// echo check that fails a batch whose answers are not the event.

const dir = mkdtempSync(join(tmpdir(), 'bench-server-'))
// The largest body Go sends with a Content-Length, and one byte more
const events = [2048, 2049].map((n, i) => {
  const file = join(dir, `event-${i}.json`)
  writeFileSync(file, `"${'x'.repeat(n - 2)}"`)
  return file
})
const exe = buildServer(dir)
let server: RuntimeApiServer
let conn: RawHttpConnection

beforeAll(async () => {
  server = await RuntimeApiServer.start(exe, events)
  conn = await RawHttpConnection.open(server.address)
})

afterAll(() => {
  conn.close()
  server.stop()
  rmSync(dir, { recursive: true, force: true })
})

const NEXT = 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n'

function post(id: string, body: string, what = 'response'): string {
  return `POST /2018-06-01/runtime/invocation/${id}/${what} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

test('an event of 2048 bytes comes with a Content-Length, in Go header order', async () => {
  const next = conn.exchange(NEXT) // waits for the run, as Lambda's /next does
  const batch = echo(server, 0, 1, 'test')
  const res = await next
  expect(res.status).toBe(200)
  expect(res.headerLines.map((l) => l.split(':')[0])).toEqual([
    'Content-Type',
    'Lambda-Runtime-Aws-Request-Id',
    'Lambda-Runtime-Deadline-Ms',
    'Lambda-Runtime-Invoked-Function-Arn',
    'Lambda-Runtime-Trace-Id',
    'Date',
    'Content-Length',
  ])
  expect(res.headers['content-length']).toBe('2048')
  expect(Number(res.headers['lambda-runtime-deadline-ms'])).toBeGreaterThan(Date.now())
  const id = res.headers['lambda-runtime-aws-request-id'] as string
  const accepted = await conn.exchange(post(id, res.body.toString()))
  expect(accepted.status).toBe(202)
  expect(accepted.body.toString()).toBe('{"status":"OK"}\n')
  expect(await batch).toBeGreaterThan(0)
})

test('an event of 2049 bytes goes out chunked, in one chunk; a chunked answer is read', async () => {
  const batch = echo(server, 1, 1, 'test')
  const res = await conn.exchange(NEXT)
  expect(res.headers['transfer-encoding']).toBe('chunked')
  expect(res.headers['content-length']).toBeUndefined()
  expect(res.chunks).toEqual([2049])
  const body = res.body.toString()
  const id = res.headers['lambda-runtime-aws-request-id'] as string
  const chunked = `${(1000).toString(16)}\r\n${body.slice(0, 1000)}\r\n${(1049).toString(16)}\r\n${body.slice(1000)}\r\n0\r\n\r\n`
  const accepted = await conn.exchange(
    `POST /2018-06-01/runtime/invocation/${id}/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`,
  )
  expect(accepted.status).toBe(202)
  await batch
})

test('the echo check fails a batch with one changed byte, or an /error', async () => {
  const batch = echo(server, 0, 2, 'wrong client')
  batch.catch(() => {})
  let res = await conn.exchange(NEXT)
  const changed = `y${res.body.toString().slice(1)}`
  await conn.exchange(post(res.headers['lambda-runtime-aws-request-id'] as string, changed))
  res = await conn.exchange(NEXT)
  await conn.exchange(post(res.headers['lambda-runtime-aws-request-id'] as string, '{}', 'error'))
  await expect(batch).rejects.toThrow(
    'wrong client: 2 of 2 answers were not the event echoed byte for byte',
  )
})

test('an answer for another request id counts as wrong', async () => {
  const batch = echo(server, 0, 1, 'test')
  batch.catch(() => {})
  const res = await conn.exchange(NEXT)
  await conn.exchange(post('not-the-id', res.body.toString()))
  await conn.exchange(
    post(res.headers['lambda-runtime-aws-request-id'] as string, res.body.toString()),
  )
  await expect(batch).rejects.toThrow('1 of 1 answers were not the event')
})

test('an answer with Expect: 100-continue (curl sends it for large bodies) gets a 100 Continue first', async () => {
  const batch = echo(server, 0, 1, 'test')
  const res = await conn.exchange(NEXT)
  const id = res.headers['lambda-runtime-aws-request-id'] as string
  const head = `POST /2018-06-01/runtime/invocation/${id}/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${res.body.length}\r\n\r\n`
  expect((await conn.exchange(head)).status).toBe(100)
  expect((await conn.exchange(res.body)).status).toBe(202)
  await batch
})
