import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { codec } from '../support/json-pil.js'
import { pilBin, pilHome } from '../support/picolisp.js'

// runtime/json-fast.l makes the twins of lambda-json-put and lambda-json-put-key
// that encode small values into a list of pieces: 'prin' and 'print' become
// 'link'. Anything else that could write output would reach the output channel
// instead of the text, so the generator refuses it when the codec loads.

const [jsonL, jsonFastL] = codec as [string, string]

interface PilRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs PicoLisp on the arguments (files, and `-expr` evaluated in order), stdin closed. */
function pil(args: string[]): Promise<PilRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pilBin, [path.join(pilHome, 'lib.l'), ...args, '-bye'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8')
    })
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8')
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Loads json.l, changes the function `fun` with `change` (Lisp, L is its definition), then json-fast.l. */
function loadChanged(fun: string, change: string): Promise<PilRun> {
  return pil([jsonL, `-let L (val '${fun}) ${change}`, jsonFastL, '-prinl "loaded"'])
}

/** Lisp that puts the expression `expr` first in the body of the function in L. */
const prepend = (expr: string) => `(con L (cons '${expr} (cdr L)))`

/** What the generator's translation should make of a printed encoding function. */
function expectedTwin(code: string): string {
  return code
    .replace(/\(print (\w+|\([^()]*\))\)/g, '(link (sym $1))')
    .replace(/\(prin /g, '(link ')
    .replace(/\blambda-json-put(-key)?(?=[ )])/g, '$&-twin')
}

describe('the twins of the encoding functions', () => {
  it('are made from lambda-json-put and lambda-json-put-key, printing nothing', async () => {
    const run = await pil([
      ...codec,
      '-for F (quote lambda-json-put lambda-json-put-key lambda-json-put-twin lambda-json-put-key-twin) (println (val F))',
      `-prinl (pack (make (lambda-json-put-twin '(("a" . 1) ("b" T "x" true NIL)) 0)))`,
    ])
    expect(run.stderr).toBe('')
    const [put, putKey, putTwin, putKeyTwin, text] = run.stdout.trimEnd().split('\n')
    expect(putTwin).toBe(expectedTwin(put as string))
    expect(putKeyTwin).toBe(expectedTwin(putKey as string))
    for (const twin of [putTwin, putKeyTwin]) {
      expect(twin).toContain('(link (sym ')
      expect(twin).not.toMatch(/\((prin|print|prinl) /)
    }
    expect(text).toBe('{"a":1,"b":["x",true,{}]}')
  })

  it('refuses, when the codec loads, an encoder that calls prinl', async () => {
    const run = await loadChanged('lambda-json-put', prepend('(prinl "encoding")'))
    expect(run.code).not.toBe(0)
    expect(run.stdout).not.toContain('loaded')
    expect(run.stderr).toContain(
      "runtime/json-fast.l: no small-value twin of lambda-json-put: 'prinl' may write output",
    )
  })

  it('refuses output in a function the encoder calls', async () => {
    // lambda-json-external? is called, not translated: its own calls are checked
    const run = await loadChanged('lambda-json-external?', prepend('(space)'))
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain("no small-value twin of lambda-json-put: 'space' may write output")
  })

  it('refuses output named anywhere, not only where it is called', async () => {
    // As the argument of a function that calls it, e.g. 'mapc' (which is refused too)
    const run = await loadChanged('lambda-json-put-key', prepend('(or K println)'))
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain("no small-value twin of lambda-json-put-key: 'println' may write")
  })

  it("refuses a 'print' of more than one value", async () => {
    const run = await loadChanged('lambda-json-put', prepend('(print X Depth)'))
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(
      "no small-value twin of lambda-json-put: 'print' of 2 values, not one",
    )
  })

  it('accepts a change that writes nothing', async () => {
    const run = await loadChanged('lambda-json-put', prepend('(length X)'))
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('loaded\n')
  })
})
