import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  FAKE_ACCOUNT,
  FAKE_CREDENTIALS,
  fakeAwsEnv,
  type LambdaApi,
  startLambdaApi,
} from '../support/lambda-api-server.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import { makeRunnerDirs, type RunnerDirs, runAction } from '../support/run-action.js'
import { type S3Api, startS3Api } from '../support/s3-api-server.js'

// The bundled action (dist/index.js, from `npm run build`) end to end: a real build from the
// loopback PicoLisp source, then publishing through the real SDK to the local Lambda API.

let root: string
let dirs: RunnerDirs
let source: TestSource
let api: LambdaApi
let s3: S3Api
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2']
const MUTATING = ['PublishLayerVersion', 'DeleteLayerVersion', 'AddLayerVersionPermission']

async function writeHandler(text: string): Promise<void> {
  await mkdir(join(dirs.workspace, 'handlers'), { recursive: true })
  await writeFile(join(dirs.workspace, 'handlers', 'hello.l'), text)
}

/** Runs the action with the test source, one handler file, and AWS pointed at the fake. */
function act(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction(
    { ...source.inputs, 'extra-files': 'handlers/*.l', ...inputs },
    { dirs, env: { ...fakeAwsEnv(api.url, s3?.url), ...env } },
  )
}

/**
 * What the runner would show: it takes `::add-mask::` lines as secrets and prints
 * `***` for them everywhere, in the log and in the job summary.
 */
function masked(run: { stdout: string; summary: string }) {
  const lines = run.stdout.split(/\r\n|\r|\n/)
  const secrets = lines.flatMap((line) => /^\s*::add-mask::(.+)$/.exec(line)?.[1] ?? [])
  const hide = (text: string) => secrets.reduce((t, secret) => t.replaceAll(secret, '***'), text)
  return {
    log: hide(lines.filter((line) => !/^\s*::add-mask::/.test(line)).join('\n')),
    summary: hide(run.summary),
  }
}

/**
 * Lines the runner would take as a command the payload supplied. It reads a line that
 * starts with `::` as a command (here: one made by INJECTED text), and only a line that
 * is not one as a possible legacy `##[…]` command, anywhere in the line.
 */
function injectedCommands(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).filter((line) => {
    if (/^\s*::[^:]*::/.test(line)) return /^\s*::[^:]*::INJECTED/.test(line)
    return line.includes('##[warning]INJECTED')
  })
}

const arnsOf = (outputs: Record<string, string>) =>
  JSON.parse(outputs['layer-version-arns'] as string) as Record<string, string>

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'publish-action-'))
  dirs = await makeRunnerDirs(join(root, 'runner'))
  source = await startTestSource(root)
  await writeHandler('(de handler (Event) "hello")\n')
  // Compile once, without publishing; every later run reuses the tool cache.
  api = await startLambdaApi()
  const warm = await act({})
  expect(warm.code, warm.stdout).toBe(0)
  expect(warm.outputs.published).toBeUndefined()
  expect(api.requests).toEqual([])
  await api.close()
})

beforeEach(async () => {
  s3 = await startS3Api({ 'layers-us-east-1': 'us-east-1', 'layers-eu-west-1': 'eu-west-1' })
  api = await startLambdaApi({ s3Object: s3.object })
})

afterEach(async () => {
  await api.close()
  await s3.close()
})

afterAll(async () => {
  await source?.server.close()
  await rm(root, { recursive: true, force: true })
})

describe('the action publishing a layer', () => {
  it('publishes to three regions with the architecture read from the binary', async () => {
    const run = await act({ publish: 'true', regions: REGIONS.join(', ') })
    expect(run.code, run.stdout).toBe(0)
    const arns = arnsOf(run.outputs)
    expect(Object.keys(arns)).toEqual(REGIONS)
    for (const region of REGIONS) {
      const [stored] = api.versions(region, 'picolisp')
      expect(stored?.codeSha256).toBe(run.outputs['code-sha256'])
      expect(stored?.compatibleArchitectures).toEqual([run.outputs.architecture])
      expect(stored?.description).toBe(
        `PicoLisp ${run.outputs['picolisp-version']} runtime (${run.outputs.architecture})`,
      )
      expect(arns[region]).toBe(`arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:picolisp:1`)
    }
    expect(run.outputs['layer-arn']).toBe(`arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT}:layer:picolisp`)
    expect(run.outputs['layer-version-arn']).toBe(arns['eu-west-1'])
    expect(run.outputs['layer-version']).toBe('1')
    expect(run.outputs.published).toBe('true')
    expect(run.summary).toContain(arns['us-west-2'])
  })

  it('publishes nothing on an unchanged rerun and outputs the same ARNs', async () => {
    const first = await act({ publish: 'true', regions: REGIONS.join(' ') })
    const before = api.requests.length
    const second = await act({ publish: 'true', regions: REGIONS.join(' ') })
    expect(second.code, second.stdout).toBe(0)
    expect(api.requests.slice(before).map((r) => r.operation)).not.toContain('PublishLayerVersion')
    expect(second.outputs['layer-version-arns']).toBe(first.outputs['layer-version-arns'])
    expect(second.outputs.published).toBe('false')
    expect(second.summary).toContain('<td>unchanged</td>')
  })

  it('publishes new versions when one byte of the layer changes', async () => {
    await act({ publish: 'true', regions: 'us-east-1 eu-west-1' })
    await writeHandler('(de handler (Event) "hullo")\n')
    try {
      const run = await act({ publish: 'true', regions: 'us-east-1 eu-west-1' })
      expect(run.code, run.stdout).toBe(0)
      expect(run.outputs.published).toBe('true')
      expect(arnsOf(run.outputs)).toEqual({
        'us-east-1': `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:layer:picolisp:2`,
        'eu-west-1': `arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT}:layer:picolisp:2`,
      })
      const [v1, v2] = api.versions('eu-west-1', 'picolisp')
      expect(v2?.codeSha256).toBe(run.outputs['code-sha256'])
      expect(v2?.codeSha256).not.toBe(v1?.codeSha256)
    } finally {
      await writeHandler('(de handler (Event) "hello")\n')
    }
  })

  it('shares publicly and with an account, and sharing again changes nothing', async () => {
    const inputs = { publish: 'true', regions: 'us-east-1', 'share-with': '*\n210987654321' }
    const first = await act(inputs)
    expect(first.code, first.stdout).toBe(0)
    const sids = () => api.versions('us-east-1', 'picolisp')[0]?.statements.map((s) => s.Sid)
    expect(sids()).toEqual(['share-public', 'share-account-210987654321'])
    const second = await act(inputs)
    expect(second.code, second.stdout).toBe(0)
    expect(sids()).toEqual(['share-public', 'share-account-210987654321'])
    expect(api.requests.filter((r) => r.operation === 'AddLayerVersionPermission')).toHaveLength(2)
  })

  it('prunes to the newest N versions', async () => {
    const again = { publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' }
    for (let i = 0; i < 3; i++) expect((await act(again)).code).toBe(0)
    const run = await act({ ...again, 'keep-versions': '2' })
    expect(run.code, run.stdout).toBe(0)
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([3, 4])
    expect(run.outputs['layer-version']).toBe('4')
  })

  it('changes nothing in a dry run, printing the plan for every region', async () => {
    const run = await act({ 'dry-run': 'true', regions: REGIONS.join(','), 'share-with': '*' })
    expect(run.code, run.stdout).toBe(0)
    expect(api.requests.filter((r) => MUTATING.includes(r.operation))).toEqual([])
    for (const region of REGIONS) {
      expect(run.stdout).toContain(`[dry run] ${region}: would publish a new version of picolisp`)
      expect(run.stdout).toContain(
        `[dry run] ${region}: would grant lambda:GetLayerVersion to everyone (*)`,
      )
    }
    expect(run.outputs.published).toBe('false')
    expect(run.outputs['layer-version-arns']).toBe('{}')
  })

  it('reports the other regions when one is denied, then fails naming it and the IAM action', async () => {
    api.deny('us-east-1', 'PublishLayerVersion')
    const run = await act({ publish: 'true', regions: REGIONS.join(' ') })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Publishing failed in 1 of 3 regions:%0A {2}us-east-1: access denied: the role is missing the IAM permission lambda:PublishLayerVersion/,
    )
    expect(Object.keys(arnsOf(run.outputs))).toEqual(['eu-west-1', 'us-west-2'])
    expect(run.summary).toMatch(/<td>us-east-1<\/td><td>—<\/td><td>failed; access denied/)
    expect(run.summary).toContain(`arn:aws:lambda:us-west-2:${FAKE_ACCOUNT}:layer:picolisp:1`)
    // Failing or not, the secret key never reaches the log or the summary as the runner
    // shows them (it hides what ::add-mask:: registered), nor stderr.
    const shown = masked(run)
    for (const text of [shown.log, run.stderr, shown.summary]) {
      expect(text).not.toContain(FAKE_CREDENTIALS.secretAccessKey)
    }
  })

  describe('with a layer over 50 MB', () => {
    // Random bytes do not compress, so the zip stays over Lambda's direct-upload limit.
    const big = () => join(dirs.workspace, 'big')
    beforeAll(async () => {
      await mkdir(big(), { recursive: true })
      await writeFile(join(big(), 'blob.bin'), randomBytes(51 * 1024 * 1024))
    })
    afterAll(async () => {
      await rm(big(), { recursive: true, force: true })
    })

    it('fails before uploading when there is no s3-bucket', async () => {
      const run = await act({
        publish: 'true',
        regions: 'us-east-1',
        'extra-files': 'handlers/*.l\nbig/*',
      })
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(
        /::error::The layer zip is 5\d\.\d MiB, over the 50\.0 MiB .*'s3-bucket'/,
      )
      expect(api.requests).toEqual([])
    })

    it('publishes through a temporary S3 object per region and deletes it', async () => {
      const run = await act({
        publish: 'true',
        regions: 'us-east-1 eu-west-1',
        's3-bucket': 'layers-{region}',
        'extra-files': 'handlers/*.l\nbig/*',
      })
      expect(run.code, run.stdout).toBe(0)
      expect(
        s3.requests.map((r) => `${r.operation} ${r.region} ${r.bucket} ${r.status}`).sort(),
      ).toEqual([
        'DeleteObject eu-west-1 layers-eu-west-1 204',
        'DeleteObject us-east-1 layers-us-east-1 204',
        'PutObject eu-west-1 layers-eu-west-1 200',
        'PutObject us-east-1 layers-us-east-1 200',
      ])
      expect(s3.keys()).toEqual([])
      for (const region of ['us-east-1', 'eu-west-1']) {
        expect(api.versions(region, 'picolisp')[0]?.codeSha256).toBe(run.outputs['code-sha256'])
      }
    })
  })

  const badInputs: [string, Record<string, string>, string][] = [
    ['publish', { publish: 'sure' }, "Input 'publish': must be true or false"],
    ['dry-run', { 'dry-run': 'yes' }, "Input 'dry-run': must be true or false"],
    ['skip-unchanged', { 'skip-unchanged': 'no' }, "Input 'skip-unchanged': must be true or false"],
    ['layer-name', { 'layer-name': 'pico/lisp' }, "Input 'layer-name': must be 1 to 140"],
    [
      'regions',
      { regions: 'us-east-1 moon-base-1x' },
      "Input 'regions': must list AWS region codes",
    ],
    ['regions (none)', { regions: '' }, "Input 'regions': is empty"],
    ['description', { description: 'x'.repeat(257) }, "Input 'description': must be at most 256"],
    [
      'license-info',
      { 'license-info': 'x'.repeat(513) },
      "Input 'license-info': must be at most 512",
    ],
    ['compatible-runtimes', { 'compatible-runtimes': 'pil21' }, "Input 'compatible-runtimes'"],
    ['share-with', { 'share-with': 'everyone' }, "Input 'share-with': must list '*'"],
    ['keep-versions', { 'keep-versions': 'all' }, "Input 'keep-versions': must be a whole number"],
    ['s3-bucket', { 's3-bucket': 'Bad_Bucket' }, "Input 's3-bucket': must be an S3 bucket name"],
  ]
  it.each(badInputs)(
    'fails on a bad %s before any build or AWS work',
    async (_, inputs, message) => {
      const run = await act({ publish: 'true', regions: 'us-east-1', ...inputs })
      expect(run.code).toBe(1)
      expect(run.stdout).toContain(`::error::${message}`)
      expect(run.outputs['layer-zip']).toBeUndefined()
      expect(api.requests).toEqual([])
    },
  )

  it('ends when a region never answers, naming the timeout, with the other regions in the outputs', async () => {
    api.stall('us-east-1')
    const run = await act({
      publish: 'true',
      regions: 'eu-west-1 us-east-1',
      'aws-connect-timeout': '1',
      'aws-idle-timeout': '1',
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::us-east-1: lambda:ListLayerVersions timed out: no answer for 1 s \(input 'aws-idle-timeout'\)/,
    )
    expect(arnsOf(run.outputs)).toEqual({
      'eu-west-1': `arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT}:layer:picolisp:1`,
    })
    expect(run.outputs['layer-version']).toBe('1')
  })

  describe('against a hostile endpoint', () => {
    const PAYLOAD = '\r::warning::INJECTED\n::add-mask::INJECTED ##[warning]INJECTED <img src=x>'

    it('keeps an ARN with line breaks and commands out of the log, the summary and the outputs', async () => {
      api.tamperArns('us-east-1', PAYLOAD)
      const run = await act({ publish: 'true', regions: 'us-east-1 eu-west-1' })
      expect(injectedCommands(run.stdout)).toEqual([])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/::error::us-east-1: Lambda answered a layer ARN that is not one/)
      expect(run.summary).not.toContain('<img')
      expect(arnsOf(run.outputs)).toEqual({
        'eu-west-1': `arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT}:layer:picolisp:1`,
      })
    })

    it('keeps an error message with line breaks, commands and HTML out of the log and the summary', async () => {
      api.failWith('us-east-1', PAYLOAD)
      const run = await act({ publish: 'true', regions: 'us-east-1' })
      expect(run.code).toBe(1)
      expect(injectedCommands(run.stdout)).toEqual([])
      expect(run.summary).toContain('failed; lambda:ListLayerVersions failed')
      expect(run.summary).toContain('&lt;img src=x&gt;')
      expect(run.summary).not.toContain('<img')
    })

    it('masks the session token an endpoint echoes back in an error', async () => {
      const token = 'IQoJb3JpZ2luX2VjEXAMPLE-session-token-0123456789'
      api.echoHeaders('us-east-1')
      const run = await act({ publish: 'true', regions: 'us-east-1' }, { AWS_SESSION_TOKEN: token })
      expect(run.code).toBe(1)
      // The endpoint did echo it: only the runner's masking keeps it out of sight.
      expect(run.stdout).toContain('x-amz-security-token')
      const shown = masked(run)
      for (const text of [shown.log, shown.summary]) {
        expect(text).not.toContain(token)
        expect(text).not.toContain(FAKE_CREDENTIALS.secretAccessKey)
        expect(text).toMatch(/x-amz-security-token(&quot;|"):(&quot;|")\*\*\*/)
      }
    })
  })
})

describe('the smoke test before publishing', () => {
  /** Writes event files (name → JSON text) into a fresh events/ folder of the workspace. */
  async function writeEvents(files: Record<string, string>): Promise<void> {
    const dir = join(dirs.workspace, 'events')
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  }

  const smoke = (handler: string) => ({
    publish: 'true',
    regions: 'us-east-1',
    'test-handler': handler,
    'test-task-root': 'handlers',
    'test-events': 'events/*.json',
  })
  const published = () => api.requests.filter((r) => r.operation === 'PublishLayerVersion')
  const results = (outputs: Record<string, string>) =>
    JSON.parse(outputs['test-results'] as string) as {
      event: string
      status: string
      responseBytes: number
      diff?: string
    }[]

  it('passes and publishes when every event answers as expected', async () => {
    await writeEvents({ 'a.json': '{"n": 1}', 'a.expected.json': '"hello"', 'b.json': '[]' })
    const run = await act(smoke('hello.handler'))
    expect(run.code, run.stdout).toBe(0)
    expect(results(run.outputs)).toEqual([
      expect.objectContaining({ event: 'events/a.json', status: 'passed', responseBytes: 5 }),
      expect.objectContaining({ event: 'events/b.json', status: 'passed', responseBytes: 5 }),
    ])
    expect(published()).toHaveLength(1)
    expect(run.outputs.published).toBe('true')
    expect(run.summary).toContain('<h2>Smoke test</h2>')
    expect(run.summary).toContain('<code>events/a.json</code>')
  })

  it('stops the publish when the handler fails', async () => {
    await writeEvents({ 'a.json': '{}' })
    const run = await act(smoke('hello.missing'))
    expect(run.code).toBe(1)
    expect(results(run.outputs)).toEqual([
      expect.objectContaining({ event: 'events/a.json', status: 'init-error' }),
    ])
    expect(run.stdout).toContain('Smoke test failed for 1 of 1 events: events/a.json (init-error)')
    expect(published()).toEqual([])
    expect(run.outputs.published).toBeUndefined()
  })

  it('stops the publish on a response that is not the expected one, showing the diff', async () => {
    await writeEvents({ 'a.json': '{}', 'a.expected.json': '{"greeting": "goodbye"}' })
    const run = await act(smoke('hello.handler'))
    expect(run.code).toBe(1)
    const [result] = results(run.outputs)
    expect(result?.status).toBe('mismatch')
    expect(result?.diff).toBe('- {\n-   "greeting": "goodbye"\n- }\n+ "hello"')
    expect(run.summary).toContain('events/a.json: mismatch')
    expect(run.summary).toContain('-   &quot;greeting&quot;: &quot;goodbye&quot;')
    expect(published()).toEqual([])
  })

  it('refuses an event file that is not JSON before starting the layer', async () => {
    await writeEvents({ 'a.json': '{nope' })
    const run = await act(smoke('hello.handler'))
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/Event file .*events\/a\.json is not JSON/)
    expect(published()).toEqual([])
  })
})
