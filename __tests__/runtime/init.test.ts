import { describe, expect, it } from 'vitest'
import { type HandlerFiles, useRuntimeLayer } from '../support/runtime-process.js'

// Each way start-up can fail goes to /init/error with a Lambda-style error type
// and a message naming the file or function, then the process exits non-zero.

const runtime = useRuntimeLayer()

async function initFailure(files: HandlerFiles, handler: string | undefined) {
  const rt = await runtime.start(files, handler)
  const outcome = await Promise.race([
    rt.emulator.initError(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no /init/error within 10 s')), 10_000),
    ),
  ])
  const code = await rt.exited
  const body = JSON.parse(outcome.body.toString('utf8')) as {
    errorMessage: string
    errorType: string
    stackTrace: unknown[]
  }
  expect(body.errorType).toBe(outcome.errorType)
  expect(body.errorType).toMatch(/^(Runtime|Function)\.[A-Z][a-zA-Z]+$/)
  expect(Array.isArray(body.stackTrace)).toBe(true)
  expect(outcome.headers['content-type']).toBe('application/vnd.aws.lambda.error+json')
  expect(code).not.toBe(0)
  expect(code).not.toBeNull()
  return { type: body.errorType, message: body.errorMessage, taskRoot: rt.taskRoot }
}

describe('runtime start-up failures', () => {
  it('reports a missing _HANDLER', async () => {
    const r = await initFailure({}, undefined)
    expect(r.type).toBe('Runtime.MalformedHandlerName')
    expect(r.message).toContain('_HANDLER is not set')
  })

  it.each(['nodot', 'file.', '.fn'])('reports the malformed _HANDLER %s', async (handler) => {
    const r = await initFailure({}, handler)
    expect(r.type).toBe('Runtime.MalformedHandlerName')
    expect(r.message).toContain(`'${handler}'`)
  })

  it('reports a missing handler file with its path', async () => {
    const r = await initFailure({}, 'src/app.main')
    expect(r.type).toBe('Runtime.ImportModuleError')
    expect(r.message).toContain(`${r.taskRoot}/src/app.l`)
  })

  it('reports a read error with file and line', async () => {
    const r = await initFailure(
      { 'bad.l': '(de main (E H)\n   E ))\n(de other () 1)\n' },
      'bad.main',
    )
    expect(r.type).toBe('Runtime.UserCodeSyntaxError')
    expect(r.message).toMatch(/bad\.l:2: Bad input/)
  })

  it('reports an unterminated list as a syntax error', async () => {
    const r = await initFailure({ 'open.l': '(de main (E H)\n   (list E\n' }, 'open.main')
    expect(r.type).toBe('Runtime.UserCodeSyntaxError')
    expect(r.message).toContain('open.l')
    expect(r.message).toContain('EOF Overrun')
  })

  it('reports an error while loading, with the offending expression', async () => {
    const r = await initFailure(
      { 'lib/boom.l': '(de main (E H) E)\n(setq *Conf (+ 1 "oops"))\n' },
      'lib/boom.main',
    )
    expect(r.type).toBe('Runtime.ImportModuleError')
    expect(r.message).toContain('boom.l:2')
    expect(r.message).toContain('(+ 1 "oops")')
  })

  it('reports a bare (quit) while loading', async () => {
    const r = await initFailure({ 'q.l': '(de main (E H) E)\n(quit)\n' }, 'q.main')
    expect(r.type).toBe('Runtime.ExitError')
    expect(r.message).toContain('q.l')
  })

  it('reports a function the file does not define', async () => {
    const r = await initFailure({ 'h.l': '(de handler (E H) E)\n' }, 'h.main')
    expect(r.type).toBe('Runtime.HandlerNotFound')
    expect(r.message).toContain("'main'")
    expect(r.message).toContain('h.l')
  })
})
