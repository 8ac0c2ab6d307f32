import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { fakeAwsEnv, startLambdaApi } from './support/lambda-api-server.js'
import { startTestSource, type TestSource } from './support/pil-source.js'
import { REPO } from './support/run-action.js'

const run = promisify(execFile)
let root: string
let source: TestSource

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-'))
  source = await startTestSource(root)
})

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

/** Runs the local command as `npm run layer -- …` does, with its cache in the test folder. */
function layerCommand(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [path.join(REPO, 'scripts', 'layer.mjs'), ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: root,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      ...env,
    },
  })
}

test('npm run layer maps flags to inputs, builds with the action bundle and prints the outputs', async () => {
  const flags = Object.entries(source.inputs).flatMap(([name, value]) => [`--${name}`, value])
  const output = path.join(root, 'out', 'layer.zip')
  const { stdout } = await layerCommand([...flags, '--output', output])
  expect((await fs.stat(output)).size).toBeGreaterThan(100_000)
  expect(stdout).toMatch(new RegExp(`Outputs:\\n[\\s\\S]*layer-zip: ${output}`))
  expect(stdout).toContain(`picolisp-version: ${source.source.version}\n`)
  // The cache lives under XDG_CACHE_HOME, so the next run is a hit.
  const again = await layerCommand([...flags, '--output', output])
  expect(again.stdout).toMatch(/cache-hit: true/)
})

test('an unknown flag is refused', async () => {
  await expect(layerCommand(['--picolisp-versoin', '1'])).rejects.toThrow(
    /Unknown option '--picolisp-versoin'/,
  )
})

test('npm run layer can publish: no job summary file is needed', async () => {
  const lambda = await startLambdaApi()
  try {
    const flags = Object.entries(source.inputs).flatMap(([name, value]) => [`--${name}`, value])
    const { stdout } = await layerCommand(
      [...flags, '--publish', 'true', '--regions', 'eu-west-1', '--layer-name', 'cli-test'],
      fakeAwsEnv(lambda.url),
    )
    expect(stdout).toMatch(/layer-version-arn: arn:aws:lambda:eu-west-1:\d{12}:layer:cli-test:1/)
    expect(lambda.versions('eu-west-1', 'cli-test')).toHaveLength(1)
  } finally {
    await lambda.close()
  }
})
