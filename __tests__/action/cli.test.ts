import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { parse } from 'yaml'
import { fakeAwsEnv, startLambdaApi } from '../support/lambda-api-server.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import { REPO } from '../support/run-action.js'

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

/** The outputs table's rows: name -> value. */
function outputsTable(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.lastIndexOf('\noutput '))
  return Object.fromEntries(
    [...table.matchAll(/^([a-z0-9-]+) {2,}(.*)$/gm)].map(([, name, value]) => [name, value]),
  )
}

test('npm run layer maps flags to inputs, builds with the action bundle, and shows phases and an outputs table', async () => {
  const flags = Object.entries(source.inputs).flatMap(([name, value]) => [`--${name}`, value])
  const output = path.join(root, 'out', 'layer.zip')
  const { stdout } = await layerCommand([...flags, '--output', output])
  expect((await fs.stat(output)).size).toBeGreaterThan(100_000)
  // A person's log: no runner commands, no make output on success.
  expect(stdout).not.toMatch(/::[a-z-]+::|\[command\]/)
  expect(stdout).not.toMatch(/^make|clang|llc /m)
  for (const phase of ['Bundled libraries', 'PicoLisp (cache, download, compile)', 'Layer zip']) {
    const escaped = phase.replace(/[()]/g, '\\$&')
    expect(stdout).toMatch(
      new RegExp(`^▸ ${escaped}\n[\\s\\S]*^✓ ${escaped} took \\d+\\.\\d s$`, 'm'),
    )
  }
  expect(stdout).toMatch(/^output +value\n-+ +-----\n/m)
  const outputs = outputsTable(stdout)
  expect(outputs['layer-zip']).toBe(output)
  expect(outputs['picolisp-version']).toBe(source.source.version)
  expect(outputs['cache-hit']).toBe('false')
  // The cache lives under XDG_CACHE_HOME, so the next run is a hit.
  const again = await layerCommand([...flags, '--output', output])
  expect(outputsTable(again.stdout)['cache-hit']).toBe('true')
})

test('--verbose shows the tool commands; on a runner the log stays the runner commands', async () => {
  const flags = Object.entries(source.inputs).flatMap(([name, value]) => [`--${name}`, value])
  const output = path.join(root, 'out', 'fresh.zip')
  const verbose = await layerCommand([
    ...flags,
    '--cache',
    'false',
    '--output',
    output,
    '--verbose',
  ])
  expect(verbose.stdout).toMatch(/^ {4}\[command\]\S*make -C /m)
  const runner = await layerCommand([...flags, '--output', output], { GITHUB_ACTIONS: 'true' })
  expect(runner.stdout).toMatch(/^::debug::/m)
  expect(runner.stdout).not.toMatch(/^▸ /m)
  expect(runner.stdout).toMatch(new RegExp(`Outputs:\\n[\\s\\S]*  layer-zip: ${output}`))
})

test('a failing compile shows the held-back make output and the error, exit code 1', async () => {
  const staging = path.join(root, 'failing', 'pil21', 'src')
  await fs.mkdir(staging, { recursive: true })
  await fs.writeFile(
    path.join(staging, 'Makefile'),
    // As pil21's Makefile, 'all' builds the interpreter first, so it fails before the
    // rules the action adds for the native JSON codec.
    'all: picolisp\npicolisp:\n\t@echo "compiling base.ll"\n\t@echo "base.ll: error: expected instruction opcode"\n\t@exit 3\n',
  )
  const tarball = path.join(root, 'failing.tgz')
  await run('tar', ['-czf', tarball, '-C', path.join(root, 'failing'), 'pil21'])
  const error = await layerCommand([
    '--source-url',
    tarball,
    '--picolisp-version',
    'rolling',
    '--include-json',
    'false',
    '--include-awscurl',
    'false',
    '--cache',
    'false',
  ]).catch((e) => e)
  expect(error.code).toBe(1)
  expect(error.stdout).toMatch(/^✗ PicoLisp \(cache, download, compile\) failed after \d+\.\d s$/m)
  expect(error.stdout).toMatch(/Tool output of the failed phase:\n[\s\S]* {4}compiling base\.ll\n/)
  expect(error.stdout).toMatch(/^error: Compiling PicoLisp failed \(make exited with 2\)/m)
  expect(error.stdout).not.toMatch(/::[a-z-]+::/)
})

test('--help lists every input of action.yml with its description and default', async () => {
  const { stdout } = await layerCommand(['--help'])
  const inputs = parse(await fs.readFile(path.join(REPO, 'action.yml'), 'utf8')).inputs as Record<
    string,
    { description: string; default?: string }
  >
  for (const [name, input] of Object.entries(inputs)) {
    const fallback = input.default
      ? ` {3}\\(default: ${input.default.replace(/[.*]/g, '\\$&')}\\)`
      : ''
    expect(stdout).toMatch(new RegExp(`^  --${name} <value>${fallback}\\n`, 'm'))
    expect(stdout).toContain(`\n      ${input.description}\n`)
  }
  expect(stdout).toMatch(/^ {2}--verbose /m)
})

test('an unknown flag is one line naming the closest flag, exit code 2', async () => {
  const error = await layerCommand(['--picolisp-versoin', '1']).catch((e) => e)
  expect(error.code).toBe(2)
  expect(error.stdout).toBe('')
  expect(error.stderr).toBe(
    'npm run layer: unknown flag --picolisp-versoin; did you mean --picolisp-version? (--help lists every flag)\n',
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
    expect(outputsTable(stdout)['layer-version-arn']).toMatch(
      /^arn:aws:lambda:eu-west-1:\d{12}:layer:cli-test:1$/,
    )
    expect(stdout).toMatch(/^✓ Publish took \d+\.\d s$/m)
    expect(lambda.versions('eu-west-1', 'cli-test')).toHaveLength(1)
  } finally {
    await lambda.close()
  }
})
