import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { sha256, startTestSource, type TestSource } from '../support/pil-source.js'
import { makeRunnerDirs, REPO, type RunnerDirs } from '../support/run-action.js'

/**
 * The action run by @github/local-action, GitHub's runner for JavaScript
 * actions: it runs src/main.ts's run() with its own stubs of @actions/core and
 * @actions/cache. Its cache stub has restoreCache and saveCache but no
 * isFeatureAvailable, which once failed every cold build.
 */
let root: string
let source: TestSource
let dirs: RunnerDirs

/** What local-action printed, and the outputs it echoed as `::set-output name=…::…`. */
async function localAction(inputs: Record<string, string>, envFile: string) {
  const lines = Object.entries({
    GITHUB_WORKSPACE: dirs.workspace,
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    GITHUB_STEP_SUMMARY: path.join(dirs.temp, 'summary.md'),
    LOCAL_ACTION_WORKSPACE: dirs.workspace,
    LOCAL_ACTION_CACHE_PATH: path.join(dirs.temp, 'local-action-cache'),
    ...Object.fromEntries(
      Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
  }).map(([name, value]) => `${name}=${JSON.stringify(value)}`)
  await fs.mkdir(path.join(dirs.temp, 'local-action-cache'), { recursive: true })
  await fs.writeFile(envFile, `${lines.join('\n')}\n`)
  const bin = path.join(REPO, 'node_modules', '.bin', 'local-action')
  const { stdout, stderr } = await promisify(execFile)(bin, ['run', REPO, 'src/main.ts', envFile], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, FORCE_COLOR: '0' },
    maxBuffer: 64 << 20,
  })
  const log = stdout + stderr
  const outputs: Record<string, string> = {}
  for (const match of log.matchAll(/^::set-output name=([^:]+)::(.*)$/gm)) {
    outputs[match[1]] = match[2]
  }
  return { log, outputs }
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'local-action-'))
  source = await startTestSource(root)
  dirs = await makeRunnerDirs(path.join(root, 'runner'))
})

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

test('a cold build with the cache on succeeds under local-action and sets every output', async () => {
  const { log, outputs } = await localAction(
    { ...source.inputs, cache: 'true' },
    path.join(root, 'cold.env'),
  )
  expect(log).not.toMatch(/::error::|isFeatureAvailable is not a function/)
  expect(log).toMatch(/The GitHub cache service is not usable|not available here/)
  const zip = path.join(dirs.workspace, `picolisp-layer-${source.source.release}-x86_64.zip`)
  expect(outputs['layer-zip']).toBe(zip)
  expect(outputs['layer-sha256']).toBe(await sha256(zip))
  expect(outputs['picolisp-version']).toBe(source.source.version)
  expect(outputs['cache-hit']).toBe('false')
  expect(outputs.architecture).toBe('x86_64')
}, 300_000)

test('a second run is a hit from the tool cache folder', async () => {
  const { log, outputs } = await localAction(
    { ...source.inputs, cache: 'true' },
    path.join(root, 'warm.env'),
  )
  expect(log).not.toMatch(/::error::/)
  expect(outputs['cache-hit']).toBe('true')
}, 300_000)
