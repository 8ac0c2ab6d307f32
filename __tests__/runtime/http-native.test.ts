import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codec, repoRoot, runPicoLisp } from '../support/json-pil.js'
import { buildNativeCodec, writeInputs } from '../support/native-json.js'

// runtime/http.l with the native library's helpers (Head, Text and Prin of
// runtime/native/http.l) against its Lisp code alone: every head, body and
// request must come out the same, byte for byte, whichever does the work,
// and the library must take the plain messages Lambda sends. Any other
// message is left to the Lisp code.

const driver = path.join(repoRoot, '__tests__', 'support', 'http-driver.l')
const http = path.join(repoRoot, 'runtime', 'http.l')

let preload = ''
let dir = ''

beforeAll(async () => {
  preload = (await buildNativeCodec()).preload
  dir = mkdtempSync(path.join(os.tmpdir(), 'http-native-'))
}, 300_000)
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs the driver's `entry` with the runtime's HTTP client loaded; -> its lines. */
async function drive(entry: string, input: string): Promise<string[][]> {
  // The driver first: it sets AWS_LAMBDA_RUNTIME_API, which http.l reads as it loads
  const run = await runPicoLisp([preload, ...codec, driver, http], entry, input, 120_000)
  expect(run.stderr).toBe('')
  return run.lines.map((line) => line.split('\t'))
}

const CRLF = '\r\n'
const head = (...lines: string[]) => lines.map((l) => l + CRLF).join('') + CRLF

/** The /next answer as Lambda's Go server writes it. */
const NEXT = head(
  'HTTP/1.1 200 OK',
  'Content-Type: application/json',
  'Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd',
  'Lambda-Runtime-Deadline-Ms: 1542409706888',
  'Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:function:f',
  'Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
  'Date: Sun, 29 Nov 2026 14:03:02 GMT',
  'Content-Length: 13',
)

// Heads the library reads itself: what Lambda sends, and plain variations
const plain: Record<string, string> = {
  next: `${NEXT}{"a":"b c d"}`,
  accepted: `${head('HTTP/1.1 202 Accepted', 'Content-Type: application/json', 'Content-Length: 16')}{"status":"OK"}\n`,
  'no headers': head('HTTP/1.1 204 No Content'),
  'no reason': head('HTTP/1.1 200'),
  'reason with tabs and spaces': head('HTTP/1.1 500 Internal \t Server  Error', 'A: b'),
  'HTTP/1.0': head('HTTP/1.0 200 OK', 'Connection: close'),
  'lower-case names': head(
    'HTTP/1.1 200 OK',
    'content-length: 0',
    'lambda-runtime-aws-request-id: x',
  ),
  'colons in values': head('HTTP/1.1 200 OK', 'Host: a:b:c', 'X::y'),
  'odd spacing': head('HTTP/1.1 200 OK', 'A:b', 'B: \t c \t', 'C:\t\td'),
  'empty values': head('HTTP/1.1 200 OK', 'X-Empty:', 'X-Spaces:   ', 'Y: z'),
  'two lengths': head('HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Length: 3'),
  'two equal lengths': `${head('HTTP/1.1 200 OK', 'Content-Length: 2', 'content-length: 2')}{}`,
  'a bad length': `${head('HTTP/1.1 200 OK', 'Content-Length: 2x')}{}`,
  'a length of 16 digits': head('HTTP/1.1 200 OK', 'Content-Length: 0000000000000002'),
  "a length over Lambda's limit": head('HTTP/1.1 200 OK', 'Content-Length: 7000000'),
  chunked: `${head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked')}2\r\n{}\r\n0\r\n\r\n`,
  'a length and a Connection': head('HTTP/1.1 200 OK', 'CONTENT-LENGTH: 0', 'connection: Close'),
  'punctuation in names': head('HTTP/1.1 200 OK', "X-!#$%&'*+.^_`|~: 1"),
}

// Heads the library leaves to the Lisp reader
const other: Record<string, string> = {
  'bare LF ends': 'HTTP/1.1 200 OK\nContent-Length: 2\n\n{}',
  'a bare LF among CR LF': 'HTTP/1.1 200 OK\r\nA: b\nContent-Length: 2\r\n\r\n{}',
  'a bare CR line end': 'HTTP/1.1 200 OK\rA: b\r\n\r\n',
  'a bare CR ending the head': 'HTTP/1.1 200 OK\r\nA: b\r\n\r{}',
  'a bare CR in a value': head('HTTP/1.1 200 OK', 'A: b\rc'),
  'a folded line': head('HTTP/1.1 200 OK', 'A: b', ' c'),
  'a line without a colon': head('HTTP/1.1 200 OK', 'Oops'),
  'a space before the colon': head('HTTP/1.1 200 OK', 'Name : v'),
  'an empty name': head('HTTP/1.1 200 OK', ': v'),
  'UTF-8 in a value': head('HTTP/1.1 200 OK', 'A: café'),
  'a control byte in a value': head('HTTP/1.1 200 OK', 'A: b\u0001c'),
  'DEL in a name': head('HTTP/1.1 200 OK', 'A\u007fB: c'),
  'a NUL in a value': head('HTTP/1.1 200 OK', 'A: b\u0000c'),
  'two status digits': head('HTTP/1.1 20 OK'),
  'four status digits': head('HTTP/1.1 2000 OK'),
  'a status below 100': head('HTTP/1.1 099 OK'),
  'a status of letters': head('HTTP/1.1 abc OK'),
  'no space after the status': head('HTTP/1.1 200OK'),
  'HTTP/2': head('HTTP/2 200 OK'),
  'not HTTP': head('XTTP/1.1 200 OK'),
  'a head over pil21s buffer': head('HTTP/1.1 200 OK', `X-Big: ${'v'.repeat(5000)}`, 'A: b'),
  'nothing at all': '',
}

describe("the native reader of a response's head", () => {
  let results: Map<string, string[]>

  beforeAll(async () => {
    // Also every cut of the /next answer: none is whole
    const cuts = Array.from({ length: NEXT.length - 1 }, (_, n) => [
      `cut ${n + 1}`,
      NEXT.slice(0, n + 1),
    ])
    const inputs = [...Object.entries(plain), ...Object.entries(other), ...cuts].map(
      ([name, text]) => [name, Buffer.from(text, 'latin1')] as [string, Buffer],
    )
    const files = writeInputs(
      path.join(dir, 'heads'),
      inputs.map(([, bytes], i) => [`${i}`, bytes]),
    )
    const lines = await drive('http-heads', `${files.join('\n')}\n`)
    expect(lines).toHaveLength(inputs.length)
    results = new Map(lines.map((f, i) => [inputs[i]?.[0] as string, f.slice(1)]))
    // [taken, the length Head gave, outcome with the library, outcome with Lisp alone]
  }, 120_000)

  it('takes the heads Lambda sends, and reads them as the Lisp reader does', () => {
    for (const name of Object.keys(plain)) {
      const [taken, , native, lisp] = results.get(name) ?? []
      expect({ name, taken }).toEqual({ name, taken: 'native' })
      expect({ name, native }).toEqual({ name, native: lisp })
    }
    // What it read, for one: the status, every header in order, and the body left unread
    expect(results.get('next')?.[2]).toContain(
      '(T 200 13 NIL NIL (("Content-Type" . "application/json") ("Lambda-Runtime-Aws-Request-Id" . "8476a536-e9f4-11e8-9739-2dfe598c3fcd")',
    )
    expect(results.get('next')?.[2]).toMatch(
      /\("Content-Length" \. "13"\)\) "\{\\"a\\":\\"b c d\\"\}"\)$/,
    )
    expect(results.get('empty values')?.[2]).toContain('("X-Empty") ("X-Spaces") ("Y" . "z")')
    // The length of a plain framing comes from the library; any other framing, the Lisp code's
    const lengths = Object.fromEntries(Object.keys(plain).map((n) => [n, results.get(n)?.[1]]))
    expect(lengths).toMatchObject({
      next: '13',
      accepted: '16',
      'lower-case names': '0',
      'a length and a Connection': 'NIL',
      'two lengths': 'NIL',
      'two equal lengths': 'NIL',
      'a bad length': 'NIL',
      'a length of 16 digits': 'NIL',
      "a length over Lambda's limit": '7000000',
      chunked: 'NIL',
    })
    expect(results.get('chunked')?.[2]).toBe(
      '(T 200 NIL "chunked" NIL (("Transfer-Encoding" . "chunked")) "2^M^J{}^M^J0^M^J^M^J")',
    )
    expect(results.get('two equal lengths')?.[2]).toMatch(/^\(T 200 2 NIL NIL /)
    expect(results.get("a length over Lambda's limit")?.[2]).toContain("Lambda's payload limit")
  })

  it('leaves any other head to the Lisp reader, having read nothing', () => {
    for (const name of Object.keys(other)) {
      const [taken, , native, lisp] = results.get(name) ?? []
      expect({ name, taken }).toEqual({ name, taken: 'fallback' })
      expect({ name, native }).toEqual({ name, native: lisp })
    }
    // The Lisp reader's own verdicts come through
    expect(results.get('a line without a colon')?.[2]).toContain('header line without a colon')
    expect(results.get('a bare CR ending the head')?.[2]).toContain('no line end after the head')
    expect(results.get('nothing at all')?.[2]).toBe('(NIL NIL NIL NIL NIL NIL NIL)')
  })

  it('takes no head that is not whole, at any cut', () => {
    const cuts = [...results].filter(([name]) => name.startsWith('cut '))
    expect(cuts).toHaveLength(NEXT.length - 1)
    for (const [name, [taken, , native, lisp]] of cuts as [string, string[]][]) {
      expect({ name, taken }).toEqual({ name, taken: 'fallback' })
      expect({ name, native }).toEqual({ name, native: lisp })
    }
  })
})

describe('the native reader of heads one after another in the buffer', () => {
  it('reads each where the one before left off, as the Lisp reader does', async () => {
    const accepted = plain.accepted as string
    const two = `${plain.next}${accepted}${accepted}`
    const [file] = writeInputs(path.join(dir, 'pipelined'), [['0', Buffer.from(two, 'latin1')]])
    const [[, taken, native, lisp]] = (await drive('http-pipelined', `${file}\n`)) as string[][]
    // All three heads in one read of the file, the later ones from the middle of the buffer
    expect(taken).toBe('native native native')
    expect(native).toBe(lisp)
    expect(native).toContain('(202 (("Content-Type" . "application/json")')
    expect(native?.match(/\(202 /g)).toHaveLength(2)
  })
})

describe('the native reader of a small body', () => {
  const bodies: Record<string, Buffer> = {
    ascii: Buffer.from('{"id":"evt-1","n":42}'),
    'UTF-8 of 2, 3 and 4 bytes': Buffer.from('{"s":"café 中文 😀"}'),
    'a surrogate, as PicoLisp keeps it': Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]),
    'a cut UTF-8 sequence': Buffer.from([0x22, 0x63, 0xc3, 0x22]),
    'an overlong form': Buffer.from([0x22, 0xc0, 0xaf, 0x22]),
    'a byte FF': Buffer.from([0x22, 0xff, 0x22]),
    'a NUL byte': Buffer.from([0x22, 0x00, 0x22]),
  }
  const cases = Object.entries(bodies).map(([name, body]) => ({
    name,
    bytes: Buffer.concat([
      Buffer.from(head('HTTP/1.1 200 OK', `Content-Length: ${body.length}`)),
      body,
    ]),
    length: body.length,
  }))
  // More than pil21 buffered: the body crosses the end of its 4096-byte buffer
  const long = Buffer.from(`"${'y'.repeat(200)}"`)
  cases.push({
    name: 'a body past the buffer',
    bytes: Buffer.concat([Buffer.from(head('HTTP/1.1 200 OK', `X: ${'v'.repeat(4000)}`)), long]),
    length: long.length,
  })
  // Fewer bytes than the length: the connection ended inside the body
  cases.push({
    name: 'a short body',
    bytes: Buffer.from(`${head('HTTP/1.1 200 OK')}abc`),
    length: 10,
  })
  const valid = ['ascii', 'UTF-8 of 2, 3 and 4 bytes', 'a surrogate, as PicoLisp keeps it']

  it("takes UTF-8 without NUL, as 'pack' makes it of ht:Read's characters; leaves the rest unread", async () => {
    const files = writeInputs(
      path.join(dir, 'texts'),
      cases.map((c, i) => [`${i}`, c.bytes]),
    )
    const lines = await drive(
      'http-texts',
      files.map((file, i) => `${file}\t${cases[i]?.length}\n`).join(''),
    )
    expect(lines).toHaveLength(cases.length)
    lines.forEach(([, taken, native, packed, body], i) => {
      const name = cases[i]?.name
      if (valid.includes(name as string)) {
        expect({ name, taken }).toEqual({ name, taken: 'native' })
        expect({ name, native }).toEqual({ name, native: packed })
      } else {
        expect({ name, taken }).toEqual({ name, taken: 'fallback' })
        // Nothing read: the whole body is still there
        expect({ name, native }).toEqual({ name, native: `(NIL ${body})` })
      }
    })
  })
})

describe('the native writer of a request', () => {
  const values: [string, 'native' | 'fallback'][] = [
    [
      '("GET" " " "/2018-06-01/runtime/invocation/next" " HTTP/1.1^M^JHost: " "127.0.0.1:9001" "^M^J" "^M^J")',
      'native',
    ],
    ['("Content-Length: " 100 "^M^J" NIL ("X" ": " "y" "^M^J") (("A" ": " "b^M^J")))', 'native'],
    ['(0 -5 123 1000000000000 -1000000000000)', 'native'],
    ['("café 中文 😀" abc "^I")', 'native'],
    [`("${'x'.repeat(4095)}" "yz" "${'w'.repeat(100_000)}")`, 'native'],
    ['("a" . "b")', 'native'],
    ['("GET " ("X" . "y") ("n" . 5) "^M^J")', 'native'],
    ['("a" 4611686018427387904)', 'fallback'],
  ]

  it("writes what 'prin' writes, byte for byte, and leaves what it cannot write to 'prin'", async () => {
    const lines = await drive('http-prins', values.map(([v]) => v).join('\n'))
    expect(lines).toHaveLength(values.length)
    lines.forEach(([taken, same], i) => {
      const value = values[i]?.[0].slice(0, 60)
      expect({ value, taken, same }).toEqual({ value, taken: values[i]?.[1], same: 'same' })
    })
  })
})
