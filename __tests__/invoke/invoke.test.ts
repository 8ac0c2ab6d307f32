import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from '../support/run-action.js'
import { buildRuntimeLayer } from '../support/runtime-layer.js'
import { makeTaskRoot } from '../support/runtime-process.js'

const run = promisify(execFile)

// `npm run invoke` as a user runs it: a real layer zip (the repo's runtime and
// this machine's PicoLisp), the real bootstrap, the emulator in Lambda's framing.

const TSX = join(REPO, 'node_modules', '.bin', 'tsx')
const SCRIPT = join(REPO, 'scripts', 'invoke.ts')
let root: string
let zip: string
let taskRoot: string

const HANDLERS = {
  'app.l': `
(setq *Count 0)
(out (pack (sys "LAMBDA_TASK_ROOT") "/pid") (prinl *Pid))
(de answer (E) (list (cons "got" E)))
(de env (E)
   (list
      (cons "name" (sys "AWS_LAMBDA_FUNCTION_NAME"))
      (cons "memory" (sys "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
      (cons "root" (sys "LAMBDA_TASK_ROOT"))
      (cons "handler" (sys "_HANDLER"))
      (cons "region" (sys "AWS_REGION"))
      (cons "own" (sys "GREETING")) ) )
(de fail (E) (car 1))
(de die (E) (kill *Pid 9))
(de slow (E) (wait 60000) "late")
(de count (E) (inc '*Count))
(de pick (E) (if (= E "fail") (car 1) (inc '*Count)))
`,
  'broken.l': '(car 1)\n(de handler (E) 1)\n',
}

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

function start(args: string[]): ChildProcess {
  return spawn(TSX, [SCRIPT, ...args], {
    cwd: taskRoot,
    env: { PATH: process.env.PATH ?? '', HOME: root },
  })
}

function invoke(args: string[], stdin?: string): Promise<CliRun> {
  const child = start(args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  child.stdin?.end(stdin ?? '')
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

const withLayer = (handler: string, event: string, more: string[] = []) =>
  invoke(['--layer', zip, '--handler', handler, '--event', event, ...more])

const reports = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('REPORT '))

/** The error object the command printed after `<status>: `. */
function printedError(stderr: string, status: string): { errorType: string; errorMessage: string } {
  const at = stderr.indexOf(`${status}: {`)
  expect(at, stderr).toBeGreaterThanOrEqual(0)
  const text = stderr.slice(at + status.length + 2)
  return JSON.parse(text.slice(0, text.indexOf('\n}') + 2))
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'invoke-'))
  const layer = await buildRuntimeLayer()
  zip = join(root, 'layer.zip')
  // -y keeps the layer's symlinks to this machine's PicoLisp
  execFileSync('zip', ['-qry', zip, '.'], { cwd: layer })
  await rm(layer, { recursive: true, force: true })
  taskRoot = await makeTaskRoot(HANDLERS)
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
  await rm(taskRoot, { recursive: true, force: true })
})

describe('npm run invoke', () => {
  it('prints the response as pretty JSON and a REPORT line with the init duration', async () => {
    const run = await withLayer('app.answer', '{"a":[1,2]}')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('{\n  "got": {\n    "a": [\n      1,\n      2\n    ]\n  }\n}\n')
    const [report] = reports(run.stderr)
    expect(report).toMatch(
      /^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: [1-9]\d* MB\tInit Duration: \d+\.\d\d ms$/,
    )
  })

  it("gives the function Lambda's environment and the --env variables", async () => {
    const run = await withLayer('app.env', '{}', ['--env', 'GREETING=hi=there'])
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      name: 'picolisp-local',
      memory: '128',
      root: taskRoot,
      handler: 'app.env',
      region: 'us-east-1',
      own: 'hi=there',
    })
  })

  it('reads the event from a file and from stdin', async () => {
    const file = join(root, 'event.json')
    await writeFile(file, '"from a file"')
    const fromFile = await withLayer('app.answer', file)
    expect(JSON.parse(fromFile.stdout)).toEqual({ got: 'from a file' })
    const fromStdin = await invoke(
      ['--layer', zip, '--handler', 'app.answer', '--event', '-'],
      '{"piped":true}',
    )
    expect(JSON.parse(fromStdin.stdout)).toEqual({ got: { piped: true } })
  })

  it('exits 1 with the error object when the handler throws', async () => {
    const run = await withLayer('app.fail', '{}')
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(printedError(run.stderr, 'error')).toMatchObject({
      errorType: 'Function.Error',
      errorMessage: 'Variable expected in (car 1)',
    })
    expect(reports(run.stderr)[0]).toMatch(/\tStatus: error$/)
  })

  it('exits 1 with Runtime.ExitError when the process dies mid-invocation', async () => {
    const run = await withLayer('app.die', '{}')
    expect(run.code).toBe(1)
    expect(printedError(run.stderr, 'crash')).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/Runtime exited with error: signal: SIGKILL$/),
    })
  })

  it('kills the process after --timeout seconds, as Lambda does', async () => {
    const run = await withLayer('app.slow', '{}', ['--timeout', '1'])
    expect(run.code).toBe(1)
    expect(printedError(run.stderr, 'timeout')).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/),
    })
    const pid = (await readFile(join(taskRoot, 'pid'), 'utf8')).trim()
    expect(existsSync(`/proc/${pid}`)).toBe(false)
  })

  it('exits 1 with the init error when the handler file fails to load', async () => {
    const run = await withLayer('broken.handler', '{}')
    expect(run.code).toBe(1)
    expect(printedError(run.stderr, 'init-error')).toMatchObject({
      errorType: 'Runtime.ImportModuleError',
    })
  })

  it('keeps state across --repeat: one process, one init', async () => {
    const run = await withLayer('app.count', '{}', ['--repeat', '3'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('1\n2\n3\n')
    const lines = reports(run.stderr)
    expect(lines).toHaveLength(3)
    expect(lines.map((l) => l.includes('Init Duration'))).toEqual([true, false, false])
  })
})

describe('npm run invoke -- --serve', () => {
  it('answers POST /2015-03-31/functions/function/invocations like the Runtime Interface Emulator', async () => {
    const child = start(['--layer', zip, '--handler', 'app.pick', '--serve', '--port', '0'])
    try {
      let stderr = ''
      const port = await new Promise<string>((resolve, reject) => {
        child.stderr?.on('data', (d) => {
          stderr += d
          const found = /Listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)
          if (found) resolve(found[1] as string)
        })
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)))
      })
      const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`
      const post = (body: string) => fetch(url, { method: 'POST', body })
      const first = await post('{}')
      expect(first.status).toBe(200)
      expect(first.headers.get('x-amz-function-error')).toBeNull()
      expect(await first.text()).toBe('1')
      const failed = await post('"fail"')
      expect(failed.status).toBe(200)
      expect(failed.headers.get('x-amz-function-error')).toBe('Unhandled')
      expect(await failed.json()).toMatchObject({ errorType: 'Function.Error' })
      // A function error leaves the process and its state as they were
      expect(await (await post('{}')).text()).toBe('2')
      // curl, as the emulator's own README uses it
      const { stdout } = await run('curl', ['-sS', '-XPOST', url, '-d', '{}'])
      expect(stdout).toBe('3')
      const other = await fetch(`http://127.0.0.1:${port}/elsewhere`, { method: 'POST' })
      expect(other.status).toBe(404)
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('npm run invoke with bad input', () => {
  it('names a layer zip that does not exist', async () => {
    const run = await withLayer('app.answer', '{}', ['--layer', join(root, 'nope.zip')])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`Layer zip ${join(root, 'nope.zip')} does not exist`)
  })

  it('refuses a file that is not a zip, and a zip without bootstrap', async () => {
    const notZip = join(root, 'not.zip')
    await writeFile(notZip, 'plain text')
    const run = await withLayer('app.answer', '{}', ['--layer', notZip])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`Layer ${notZip} is not a zip file`)
    const noBootstrap = join(root, 'other.zip')
    execFileSync('zip', ['-q', noBootstrap, 'app.l'], { cwd: taskRoot })
    const other = await withLayer('app.answer', '{}', ['--layer', noBootstrap])
    expect(other.code).toBe(2)
    expect(other.stderr).toContain(
      'is not a Lambda layer of this action: it has no executable bootstrap',
    )
  })

  it('refuses a handler without a dot', async () => {
    const run = await withLayer('handler', '{}')
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("Handler 'handler' is not <file>.<function>")
  })

  it('names an event file that does not exist or is not JSON', async () => {
    const missing = await withLayer('app.answer', join(root, 'missing.json'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(
      `Event file ${join(root, 'missing.json')} cannot be read: ENOENT`,
    )
    const bad = join(root, 'bad.json')
    await writeFile(bad, '{"a": ')
    const notJson = await withLayer('app.answer', bad)
    expect(notJson.code).toBe(2)
    expect(notJson.stderr).toContain(`Event file ${bad} is not JSON`)
  })
})
