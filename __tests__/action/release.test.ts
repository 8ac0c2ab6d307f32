import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { pilSource } from '../support/picolisp.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import { type ActionRun, runAction, unzipLayer } from '../support/run-action.js'
import { startRuntime } from '../support/runtime-process.js'

// A layer built through dist/index.js from the selected release's tree: Debian 12's
// 23.2 by default, or the one PIL_HOME names (CI runs this file with 25.3 and 26.9
// from scripts/picolisp-releases.sh). build.test.ts covers the rest of a build.
const { version, release } = pilSource()

let root: string
let source: TestSource
let run: ActionRun

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'action-release-'))
  source = await startTestSource(root)
  run = await runAction(source.inputs)
})

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

test(`the action builds a layer from the PicoLisp ${release} tree`, () => {
  expect(run.code, run.stdout + run.stderr).toBe(0)
  expect(run.stdout).toMatch(/make -C \S+\/pil21\/src/)
  expect(run.outputs['picolisp-version']).toBe(version)
  expect(path.basename(run.outputs['layer-zip'])).toBe(`picolisp-layer-${release}-x86_64.zip`)
})

test(`the layer's interpreter reports ${version} and serves an invocation`, async () => {
  const layer = path.join(root, 'layer')
  expect(unzipLayer(run.outputs['layer-zip'], layer)).toBe(version)
  const handler = [
    '(de main (Event)',
    '   (list',
    '      (cons "version" (glue "." (version T)))',
    '      (cons "echo" (cdr (assoc "msg" Event))) ) )',
  ].join('\n')
  const runtime = await startRuntime(layer, { 'app.l': handler }, 'app.main')
  try {
    const outcome = await runtime.emulator.invoke({ msg: 'hello' })
    expect(outcome.kind).toBe('response')
    expect(JSON.parse(outcome.body.toString())).toEqual({ version, echo: 'hello' })
  } finally {
    await runtime.stop()
  }
})
