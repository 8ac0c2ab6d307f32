import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { random } from '../../bench/json-event.js'
import { lispString } from '../support/json-pil.js'
import { suiteCases } from '../support/json-suite.js'
import {
  buildNativeCodec,
  decodeFilesBothWays,
  type FileResult,
  runNativeDriver,
  writeInputs,
} from '../support/native-json.js'
import { pilVersion } from '../support/picolisp.js'

// The native codec (runtime/native/json.l, built here for the PicoLisp the
// tests run: PIL_HOME) against the Lisp codec it stands in for: the same
// values, the same JSON, the same errors, on JSONTestSuite and on generated
// documents, and against JSON.parse / JSON.stringify.

let preload = ''
let dir = ''

beforeAll(async () => {
  preload = (await buildNativeCodec()).preload
  dir = mkdtempSync(path.join(os.tmpdir(), 'native-json-'))
}, 300_000)
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Native and Lisp agree on everything, from the text and from a channel. */
function expectSameAsLisp(results: FileResult[]) {
  const differ = results.filter(
    (r) =>
      !isDeepStrictEqual(r.native, r.lisp) || !isDeepStrictEqual(r.nativeChannel, r.lispChannel),
  )
  expect(differ.slice(0, 5), `${differ.length} inputs decode differently`).toEqual([])
}

const awkward = [
  'a',
  'é',
  '東京',
  '🍮',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\u0001',
  '\u001f',
  '\u007f',
  '^',
  '$',
  '\u2028',
  ' ',
  '{',
  ']',
  ',',
  ':',
  'x'.repeat(20),
]

function randomString(next: () => number): string {
  const n = Math.floor(next() * 12)
  let s = ''
  for (let i = 0; i < n; i++) s += awkward[Math.floor(next() * awkward.length)]
  return s
}

function randomNumber(next: () => number): number | string {
  switch (Math.floor(next() * 6)) {
    case 0:
      return Math.floor(next() * 100) - 50
    case 1:
      return Math.floor((next() - 0.5) * 2 ** 53)
    case 2:
      return (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20)
    case 3:
      return Math.round(next() * 100000) / 100
    default:
      return Math.floor(next() * 1e6)
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function randomValue(next: () => number, depth: number): Json {
  const kind = Math.floor(next() * (depth > 4 ? 5 : 7))
  switch (kind) {
    case 0:
      return null
    case 1:
      return next() > 0.5
    case 2:
      return randomNumber(next) as number
    case 3:
    case 4:
      return randomString(next)
    case 5:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1))
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 5) }, () => [
          randomString(next),
          randomValue(next, depth + 1),
        ]),
      )
  }
}

/** Breaks a document: a byte deleted, replaced, inserted, or the end cut off. */
function mutate(next: () => number, text: Buffer): Buffer {
  const at = Math.floor(next() * (text.length + 1))
  const junk = Buffer.from([
    [0x22, 0x5c, 0x2c, 0x5d, 0x7d, 0x3a, 0x20, 0x30, 0x2d, 0x65, 0x2e, 0x75, 0x00, 0x0a][
      Math.floor(next() * 14)
    ] as number,
  ])
  switch (Math.floor(next() * 4)) {
    case 0:
      return Buffer.concat([text.subarray(0, at), text.subarray(at + 1)])
    case 1:
      return Buffer.concat([text.subarray(0, at), junk, text.subarray(at + 1)])
    case 2:
      return Buffer.concat([text.subarray(0, at), junk, text.subarray(at)])
    default:
      return text.subarray(0, at)
  }
}

/** Bytes that are not UTF-8 (or not JSON) put into a document. */
function spoil(next: () => number, text: Buffer): Buffer {
  const bad = [
    [0xff],
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0x80],
    [0xe6, 0x97],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xc3],
    [0x00],
    [0xef, 0xbb, 0xbf],
  ][Math.floor(next() * 10)] as number[]
  const at = Math.floor(next() * (text.length + 1))
  return Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)])
}

/** What the data model makes of a JSON.parse value: "" is NIL, so {} (see runtime/README.md). */
function modelled(v: Json): Json {
  if (typeof v === 'string') return v === '' ? {} : v.replace(/\0/g, '\uFFFD')
  if (Array.isArray(v)) return v.map(modelled)
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k.replace(/\0/g, '\uFFFD'), modelled(x)]),
    )
  return v
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) // keeps a BOM
  } catch {
    return undefined
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

describe(`native JSON codec on PicoLisp ${pilVersion}`, () => {
  it('gives every JSONTestSuite file the Lisp codec’s result, and decodes every y_ file itself', async () => {
    const names = [...suiteCases.keys()].sort()
    const files = writeInputs(
      path.join(dir, 'suite'),
      names.map((n) => [n, suiteCases.get(n) as Buffer]),
    )
    const results = await decodeFilesBothWays(preload, files)
    expectSameAsLisp(results)
    const byName = new Map(results.map((r) => [path.basename(r.file), r]))
    const valid = names.filter((n) => n.startsWith('y_'))
    expect(valid.length).toBeGreaterThan(90)
    for (const name of valid) {
      expect(byName.get(name)?.native.status, name).toBe('ok')
      expect(byName.get(name)?.path, `${name} left to the Lisp codec`).toBe('native')
    }
    for (const name of names.filter((n) => n.startsWith('n_'))) {
      expect(byName.get(name)?.native.status, name).toBe('error')
    }
  }, 120_000)

  it('agrees with the Lisp codec and JSON.parse on 3000 generated documents', async () => {
    const next = random(20261129)
    const inputs: [string, Buffer][] = []
    const values = new Map<string, Json>()
    for (let i = 0; i < 1500; i++) {
      const v = randomValue(next, 0)
      const text = Buffer.from(JSON.stringify(v), 'utf8')
      values.set(`valid-${i}`, v)
      inputs.push([`valid-${i}`, text])
      inputs.push([`broken-${i}`, i % 5 === 4 ? spoil(next, text) : mutate(next, text)])
    }
    const files = writeInputs(path.join(dir, 'generated'), inputs)
    const results = await decodeFilesBothWays(preload, files)
    expectSameAsLisp(results)

    const bytes = new Map(inputs)
    let rejected = 0
    for (const r of results) {
      const name = path.basename(r.file)
      const text = utf8(bytes.get(name) as Buffer)
      if (text === undefined || text.includes('\0')) continue // PicoLisp reads these its own way
      expect(r.native.status === 'ok', `${name}: ${text}`).toBe(parses(text))
      if (r.native.status !== 'ok') {
        rejected++
        continue
      }
      expect(r.path, `${name} left to the Lisp codec: ${text}`).toBe('native')
      expect(JSON.parse(r.native.json), name).toEqual(modelled(JSON.parse(text)))
      const v = values.get(name)
      if (v !== undefined) {
        // Written back exactly as JSON.stringify writes it (same escapes, raw UTF-8)
        expect(r.native.json, name).toBe(JSON.stringify(modelled(v)))
      }
    }
    expect(rejected).toBeGreaterThan(500) // the broken ones mostly are
  }, 120_000)

  it('treats deep nesting, huge numbers and odd bytes as the Lisp codec does', async () => {
    const deep = (n: number, open: string, close: string) =>
      Buffer.from(open.repeat(n) + close.repeat(n))
    const inputs: [string, Buffer][] = [
      ['array-10000', deep(10000, '[', ']')],
      ['array-10001', deep(10001, '[', ']')],
      ['array-100000', deep(100000, '[', ']')],
      ['object-10000', Buffer.from(`${'{"a":'.repeat(9999)}{}${'}'.repeat(9999)}`)],
      ['object-10001', Buffer.from(`${'{"a":'.repeat(10001)}1${'}'.repeat(10001)}`)],
      ['open-100000', Buffer.from('['.repeat(100000))],
      ['digits-1000', Buffer.from(`[${'7'.repeat(1000)},-${'9'.repeat(999)}]`)],
      ['digits-1001', Buffer.from(`[${'7'.repeat(1001)},-${'9'.repeat(1000)}]`)],
      [
        'digits-19',
        Buffer.from(
          '[1152921504606846975,1152921504606846976,-1152921504606846976,999999999999999999,1000000000000000000]',
        ),
      ],
      ['exponents', Buffer.from('[1e999999999,-1E-999999999,0.0e+0,-0,-0.0,1.5e3,123.456e-7]')],
      [
        'escapes',
        Buffer.from(
          '["\\u0000","\\ud800","\\udc00x","\\ud800\\ud800\\udc00","\\ud800\\n","\\uD83D\\uDE00","\\u00e9\\/\\b\\f\\r\\t"]',
        ),
      ],
      ['not-numbers', Buffer.from('[01,1.,.5,+1,1e,-,--1,0x10,1e+,NaN,Infinity]')],
      ['literals', Buffer.from('[true,false,null,tru,nulll,True]')],
      ['space', Buffer.from(' \t\r\n[ 1 , {"a" : 2 } ] \n')],
      ['empty', Buffer.from('')],
      ['bom', Buffer.from([0xef, 0xbb, 0xbf, 0x5b, 0x5d])],
      ['nul-in-string', Buffer.from([0x5b, 0x22, 0x61, 0x00, 0x62, 0x22, 0x5d])],
      ['nul-outside', Buffer.from([0x5b, 0x31, 0x00, 0x5d])],
      ['latin1', Buffer.from([0x5b, 0x22, 0xe9, 0x22, 0x5d])],
      ['ff', Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])],
      ['overlong', Buffer.from([0x5b, 0x22, 0xe0, 0x80, 0xaf, 0x22, 0x5d])],
      ['truncated-utf8-at-end', Buffer.from([0x5b, 0x22, 0xf0, 0x9f, 0x8d])],
      ['control', Buffer.from('["a\tb"]')],
      ['trailing', Buffer.from('[1] [2]')],
      ['long-string', Buffer.from(JSON.stringify(['ab"c\\d\u00e9\n'.repeat(50000)]))],
    ]
    const next = random(7)
    for (let i = 0; i < 200; i++) {
      const garbage = Buffer.from(
        Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256)),
      )
      inputs.push([`garbage-${i}`, garbage])
    }
    const files = writeInputs(path.join(dir, 'edges'), inputs)
    const results = await decodeFilesBothWays(preload, files)
    expectSameAsLisp(results)
    const byName = new Map(results.map((r) => [path.basename(r.file), r]))
    expect(byName.get('array-10000')?.path).toBe('native')
    expect(byName.get('array-10001')?.native.value).toMatch(/nesting deeper than 10000 levels/)
    expect(byName.get('digits-1000')?.path).toBe('native')
    expect(byName.get('digits-1001')?.native.value).toContain('(lambda-json-number . "7777')
    expect(byName.get('long-string')?.path).toBe('native')
  }, 120_000)

  it('encodes and prints values as the Lisp codec does, and refuses the same ones with the same message', async () => {
    const exprs = [
      `'(T 1 -2 123456789012345678901234567890 -123456789012345678901234567890)`,
      `'(("a" . true) ("b" . false) ("c" . null) (NIL . 1) (T . 2) (true . 3) (id . 4))`,
      `'((status . ok) ("list" T) ("obj") ("n" lambda-json-number . "-1.5e3"))`,
      `(list (cons "s" ${lispString('q"b\\s/^c\u0001\u001f\u007f\té東🍮$x')}))`,
      `(lambda-json-decimal 1999 2)`,
      `(cons 'lambda-json-number "1.50")`,
      `(cons 'lambda-json-number "1.")`,
      `(cons 'lambda-json-number 12)`,
      `'(T 1 . 2)`,
      `'(("a" . 1) . 2)`,
      `'(T T)`,
      `'(("a" . T))`,
      `'((1 . 2))`,
      `'(((1) . 2))`,
      `'(1 2)`,
      `(list T (box))`,
      `(list (cons (box) 1))`,
      `(let L (list T 1 2) (con (cddr L) (cdr L)) L)`,
      `(let L (list (cons "a" 1) (cons "b" 2)) (con (cdr L) L) L)`,
      `(let V 1 (do 10000 (setq V (list T V))) V)`,
      `(let V 1 (do 10001 (setq V (list T V))) V)`,
      `NIL`,
      `'null`,
      `"plain string"`,
      `(list T (pack (need 3000 "x")) (pack (need 3000 "\\"")))`,
    ]
    const result = await runNativeDriver(preload, 'native-json-encodings', `${exprs.join('\n')}\n`)
    expect(result.lines, result.stderr).toHaveLength(exprs.length)
    const rows = result.lines.map((line) => line.split('\t'))
    for (const [i, row] of rows.entries()) {
      const [, nStatus, nText, lStatus, lText, bStatus, bText, pStatus, pText] = row
      expect([nStatus, nText], exprs[i]).toEqual([lStatus, lText])
      expect([bStatus, bText], `${exprs[i]} as an HTTP body`).toEqual([lStatus, lText])
      expect([pStatus, pText], `${exprs[i]} printed`).toEqual([lStatus, lText])
    }
    // The library itself encodes what has a JSON form (0 to 5, 19, 21 to 24),
    // and leaves the rest to the Lisp codec, which refuses it. (Not a list
    // circular in its CARs: the Lisp codec overflows the stack showing it.)
    const natives = [0, 1, 2, 3, 4, 5, 19, 21, 22, 23, 24]
    for (const [i, row] of rows.entries()) {
      expect(row[0], exprs[i]).toBe(natives.includes(i) ? 'native' : 'fallback')
      expect(row[3], exprs[i]).toBe(natives.includes(i) ? 'ok' : 'error')
    }
    expect(rows[20]?.[4]).toMatch(/nested deeper than 10000 levels/)
  }, 120_000)
})
