import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { evalLisp } from '../support/json-pil.js'
import { pilHome, pilVersion } from '../support/picolisp.js'
import { buildRuntimeLayer } from '../support/runtime-layer.js'
import { type RunningRuntime, startRuntime } from '../support/runtime-process.js'

// The runtime and codec tests run whichever PicoLisp PIL_HOME selects (see
// support/picolisp.ts): check that both helpers really run it, so a run meant for
// 26.9 cannot pass on another interpreter.

test(`the selected interpreter is PicoLisp ${pilVersion}`, () => {
  // A release cache folder (<cache>/25.3/home) must hold that release.
  const folder = path.basename(path.dirname(pilHome))
  if (process.env.PIL_HOME && /^\d+\.\d+$/.test(folder)) {
    expect(pilVersion.startsWith(`${folder}.`), `${pilHome} holds ${pilVersion}`).toBe(true)
  }
  expect(pilVersion).toMatch(/^\d+\.\d+\.\d+$/)
})

test('the JSON codec driver runs the selected interpreter', async () => {
  expect(await evalLisp(['(glue "." (version T))'], true)).toEqual([
    { ok: true, value: pilVersion },
  ])
})

let layer: string
let runtime: RunningRuntime
beforeAll(async () => {
  layer = await buildRuntimeLayer()
})
afterAll(async () => {
  await runtime?.stop()
  await rm(runtime?.taskRoot ?? '', { recursive: true, force: true })
  await rm(layer, { recursive: true, force: true })
})

test('a runtime layer runs the selected interpreter', async () => {
  const handler = '(de main (E H) (list (cons "version" (glue "." (version T)))))\n'
  runtime = await startRuntime(layer, { 'h.l': handler }, 'h.main')
  const outcome = await runtime.emulator.invoke({})
  expect(outcome.kind).toBe('response')
  expect(JSON.parse(outcome.body.toString())).toEqual({ version: pilVersion })
})
