import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
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
function layerCommand(args: string[]) {
  return run(process.execPath, [path.join(REPO, 'scripts', 'layer.mjs'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: root, XDG_CACHE_HOME: path.join(root, 'cache') },
  })
}

test('npm run layer maps flags to inputs, builds with the action bundle and prints the outputs', async () => {
  const flags = Object.entries(source.inputs).flatMap(([name, value]) => [`--${name}`, value])
  const output = path.join(root, 'out', 'layer.zip')
  const { stdout } = await layerCommand([...flags, '--output', output])
  expect((await fs.stat(output)).size).toBeGreaterThan(100_000)
  expect(stdout).toMatch(new RegExp(`Outputs:\\n[\\s\\S]*layer-zip: ${output}`))
  expect(stdout).toMatch(/picolisp-version: 23\.2\.8/)
  // The cache lives under XDG_CACHE_HOME, so the next run is a hit.
  const again = await layerCommand([...flags, '--output', output])
  expect(again.stdout).toMatch(/cache-hit: true/)
})

test('an unknown flag is refused', async () => {
  await expect(layerCommand(['--picolisp-versoin', '1'])).rejects.toThrow(
    /Unknown option '--picolisp-versoin'/,
  )
})
