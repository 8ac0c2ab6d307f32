import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { publishLayer } from '../src/publish/index.js'
import { type PublishInputs, parsePublishInputs } from '../src/publish/inputs.js'
import type { BuiltLayer } from '../src/types.js'
import {
  AWS_ENV_TO_CLEAR,
  FAKE_ACCOUNT,
  fakeAwsEnv,
  type LambdaApi,
  startLambdaApi,
} from './support/lambda-api-server.js'
import { makeLayerZip } from './support/publish-fixtures.js'
import { parseOutputFile } from './support/run-action.js'
import { type S3Api, startS3Api } from './support/s3-api-server.js'

// publishLayer in-process against the fake Lambda and S3, through the real SDK over HTTP.

const savedEnv = { ...process.env }
let dir: string
let outputFile: string
let summaryFile: string
let api: LambdaApi
let s3: S3Api
let layer: BuiltLayer

function inputs(values: Record<string, string>): PublishInputs {
  const parsed = parsePublishInputs((name) => values[name] ?? '', {})
  if (!parsed) throw new Error('the publish phase was not requested')
  return parsed
}

async function publish(given: PublishInputs, built = layer) {
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  let error: Error | undefined
  try {
    await publishLayer(given, built)
  } catch (e) {
    error = e as Error
  }
  return {
    error,
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
  }
}

const MUTATING = ['PublishLayerVersion', 'DeleteLayerVersion', 'AddLayerVersionPermission']
const mutations = () => api.requests.filter((r) => MUTATING.includes(r.operation))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'publish-layer-'))
  outputFile = join(dir, 'output')
  summaryFile = join(dir, 'summary')
  for (const name of AWS_ENV_TO_CLEAR) delete process.env[name]
  process.env.GITHUB_OUTPUT = outputFile
  process.env.GITHUB_STEP_SUMMARY = summaryFile
  layer = await makeLayerZip(join(dir, 'layer.zip'), { bootstrap: '#!/bin/sh\nexec pil\n' })
})

beforeEach(async () => {
  s3 = await startS3Api({ 'layers-us-east-1': 'us-east-1' })
  api = await startLambdaApi({ s3Object: s3.object, pageSize: 2 })
  Object.assign(process.env, fakeAwsEnv(api.url, s3.url))
})

afterEach(async () => {
  await api.close()
  await s3.close()
})

afterAll(async () => {
  process.env = savedEnv
  await rm(dir, { recursive: true, force: true })
})

describe('publishLayer', () => {
  it('publishes to three regions and hands out every ARN', async () => {
    const { error, outputs, summary } = await publish(
      inputs({ publish: 'true', regions: 'eu-west-1, us-east-1\nus-west-2' }),
    )
    expect(error).toBeUndefined()
    const arns = JSON.parse(outputs['layer-version-arns'] as string)
    expect(Object.keys(arns)).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const region of ['eu-west-1', 'us-east-1', 'us-west-2']) {
      const [stored] = api.versions(region, 'picolisp')
      expect(stored?.codeSha256).toBe(layer.codeSha256)
      expect(stored?.compatibleArchitectures).toEqual(['x86_64'])
      expect(stored?.compatibleRuntimes).toEqual(['provided.al2023'])
      expect(stored?.description).toBe('PicoLisp 23.2.8 runtime (x86_64)')
      expect(stored?.licenseInfo).toBe('MIT')
      expect(arns[region]).toBe(`arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:picolisp:1`)
    }
    // The single-value outputs describe the first region as written, not as sorted.
    expect(outputs['layer-arn']).toBe(`arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT}:layer:picolisp`)
    expect(outputs['layer-version-arn']).toBe(arns['eu-west-1'])
    expect(outputs['layer-version']).toBe('1')
    expect(outputs.published).toBe('true')
    expect(summary).toContain(arns['us-west-2'])
    expect(summary).toContain('<td>published</td>')
  })

  it('publishes nothing when rerun with the same zip, and outputs the same ARNs', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1 eu-west-1' })
    const first = await publish(given)
    const before = api.requests.length
    const second = await publish(given)
    expect(second.error).toBeUndefined()
    expect(api.requests.slice(before).map((r) => r.operation)).not.toContain('PublishLayerVersion')
    expect(second.outputs['layer-version-arns']).toBe(first.outputs['layer-version-arns'])
    expect(second.outputs['layer-version']).toBe('1')
    expect(second.outputs.published).toBe('false')
    expect(second.summary).toContain('<td>unchanged</td>')
    expect(api.versions('us-east-1', 'picolisp')).toHaveLength(1)
  })

  it('publishes new versions when one byte of the zip changes', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1,eu-west-1' })
    await publish(given)
    const changed = await makeLayerZip(join(dir, 'changed.zip'), {
      bootstrap: '#!/bin/sh\nexec pil \n',
    })
    const { error, outputs } = await publish(given, changed)
    expect(error).toBeUndefined()
    expect(outputs.published).toBe('true')
    expect(outputs['layer-version']).toBe('2')
    expect(api.versions('eu-west-1', 'picolisp').map((v) => v.codeSha256)).toEqual([
      layer.codeSha256,
      changed.codeSha256,
    ])
  })

  it('publishes a new version when only the metadata changes', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    const { outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'license-info': 'MIT-0' }),
    )
    expect(outputs['layer-version']).toBe('2')
    expect(api.versions('us-east-1', 'picolisp')[1]?.licenseInfo).toBe('MIT-0')
  })

  it('shares publicly, with an account and an organization, and a second run changes nothing', async () => {
    const given = inputs({
      publish: 'true',
      regions: 'us-east-1 eu-west-1',
      'share-with': '*, 210987654321, o-abcdefghij',
    })
    const first = await publish(given)
    expect(first.error).toBeUndefined()
    const statements = api.versions('eu-west-1', 'picolisp')[0]?.statements ?? []
    expect(statements).toEqual([
      expect.objectContaining({ Sid: 'share-public', Principal: '*' }),
      expect.objectContaining({
        Sid: 'share-account-210987654321',
        Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      }),
      expect.objectContaining({
        Sid: 'share-org-o-abcdefghij',
        Principal: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
      }),
    ])
    expect(statements[0]).not.toHaveProperty('Condition')

    const before = api.requests.length
    const second = await publish(given)
    expect(second.error).toBeUndefined()
    const again = api.requests.slice(before).map((r) => r.operation)
    expect(again).toContain('GetLayerVersionPolicy')
    expect(again).not.toContain('AddLayerVersionPermission')
    expect(api.versions('eu-west-1', 'picolisp')[0]?.statements).toHaveLength(3)
  })

  it('adds only the grant that is missing when share-with grows', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1', 'share-with': '210987654321' }))
    const before = api.requests.length
    const { error, summary } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'share-with': '210987654321 *' }),
    )
    expect(error).toBeUndefined()
    expect(
      api.requests.slice(before).filter((r) => r.operation === 'AddLayerVersionPermission'),
    ).toHaveLength(1)
    expect(summary).toContain('shared with everyone (*)')
  })

  it('prunes to the newest N versions, counting the one just published', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' })
    for (let i = 0; i < 4; i++) await publish(given)
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1, 2, 3, 4])
    const { error, summary } = await publish(
      inputs({
        publish: 'true',
        regions: 'us-east-1',
        'skip-unchanged': 'false',
        'keep-versions': '2',
      }),
    )
    expect(error).toBeUndefined()
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([4, 5])
    expect(summary).toContain('deleted version 3, 2, 1')
  })

  it('counts a kept unchanged version when pruning', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' })
    for (let i = 0; i < 3; i++) await publish(given)
    const { outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'keep-versions': '1' }),
    )
    expect(outputs.published).toBe('false')
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([3])
  })

  it('changes nothing in a dry run, and prints the plan for every region', async () => {
    const setup = inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' })
    await publish(setup)
    await publish(setup)
    const before = mutations().length
    const { error, outputs, summary } = await publish(
      inputs({
        'dry-run': 'true',
        regions: 'us-east-1 eu-west-1',
        'share-with': '*',
        'keep-versions': '1',
      }),
    )
    expect(error).toBeUndefined()
    expect(mutations()).toHaveLength(before)
    expect(outputs.published).toBe('false')
    // us-east-1's newest version is unchanged, so it would be kept and its ARN is known.
    expect(JSON.parse(outputs['layer-version-arns'] as string)).toEqual({
      'us-east-1': `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:layer:picolisp:2`,
    })
    expect(summary).toContain('dry run')
    expect(summary).toContain('would delete version 1')
    expect(summary).toContain('would publish (dry run)')
    expect(summary).toContain('would share with everyone (*)')
  })

  it('reports every region when one is denied, then fails naming it and the IAM action', async () => {
    api.deny('eu-west-1', 'PublishLayerVersion')
    const { error, outputs, summary } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1 eu-west-1 us-west-2' }),
    )
    expect(error?.message).toMatch(/failed in 1 of 3 regions/)
    expect(error?.message).toMatch(/eu-west-1: access denied.*lambda:PublishLayerVersion/)
    expect(Object.keys(JSON.parse(outputs['layer-version-arns'] as string))).toEqual([
      'us-east-1',
      'us-west-2',
    ])
    expect(outputs['layer-version']).toBe('1')
    expect(summary).toMatch(/<td>eu-west-1<\/td><td>—<\/td><td>failed; access denied/)
    expect(api.versions('us-west-2', 'picolisp')).toHaveLength(1)
  })

  it('names the missing permission for sharing, too', async () => {
    api.deny('us-east-1', 'AddLayerVersionPermission')
    const { error } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'share-with': '*' }),
    )
    expect(error?.message).toMatch(/us-east-1: access denied.*lambda:AddLayerVersionPermission/)
  })

  it('points at configure-aws-credentials when there are no credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error?.message).toMatch(/us-east-1: no AWS credentials found.*configure-aws-credentials/)
    expect(api.requests).toHaveLength(0)
  })

  it('says which region is unknown', async () => {
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1 xx-nowhere-9' }))
    expect(error?.message).toMatch(/xx-nowhere-9: unknown region xx-nowhere-9/)
    expect(api.versions('us-east-1', 'picolisp')).toHaveLength(1)
  })

  it('refuses a zip over the direct-upload limit without s3-bucket, before any request', async () => {
    const big = { ...layer, size: 50 * 1024 * 1024 + 1 }
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }), big)
    expect(error?.message).toMatch(/over the 50\.0 MiB.*'s3-bucket'/)
    expect(api.requests).toHaveLength(0)
  })

  it('uploads a zip over 50 MB through S3 and deletes the temporary object', async () => {
    const bigFile = Buffer.alloc(51 * 1024 * 1024, 7)
    const big = await makeLayerZip(join(dir, 'big.zip'), { bootstrap: 'x', 'lib/blob': bigFile })
    const { error } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 's3-bucket': 'layers-{region}' }),
      big,
    )
    expect(error).toBeUndefined()
    expect(s3.requests.map((r) => [r.operation, r.bucket, r.status])).toEqual([
      ['PutObject', 'layers-us-east-1', 200],
      ['DeleteObject', 'layers-us-east-1', 204],
    ])
    expect(s3.keys()).toEqual([])
    expect(api.versions('us-east-1', 'picolisp')[0]?.codeSha256).toBe(big.codeSha256)
  })
})

describe('publishLayer against a misbehaving endpoint', () => {
  it('times out a region that never answers and still outputs the regions that succeeded', async () => {
    api.stall('eu-west-1')
    const { error, outputs, summary } = await publish(
      inputs({
        publish: 'true',
        regions: 'eu-west-1 us-east-1',
        'aws-connect-timeout': '1',
        'aws-idle-timeout': '1',
      }),
    )
    expect(error?.message).toMatch(/failed in 1 of 2 regions/)
    expect(error?.message).toMatch(
      /eu-west-1: lambda:ListLayerVersions timed out: no answer for 1 s \(input 'aws-idle-timeout'\)/,
    )
    expect(JSON.parse(outputs['layer-version-arns'] as string)).toEqual({
      'us-east-1': `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:layer:picolisp:1`,
    })
    expect(summary).toMatch(
      /<td>eu-west-1<\/td><td>—<\/td><td>failed; lambda:ListLayerVersions timed out/,
    )
  }, 60_000)

  it('lets a slow upload finish: the timeout is for silence, not for the whole call', async () => {
    // About 11 MB of request read at most 64 KiB per 20 ms: over 3 s in all (a cap on the
    // whole call would cut it), with never 3 s without a byte moving.
    const slowZip = await makeLayerZip(join(dir, 'slow.zip'), {
      bootstrap: 'x',
      'lib/blob': randomBytes(8 * 1024 * 1024),
    })
    api.readSlowly('us-east-1')
    const { error, outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'aws-idle-timeout': '3' }),
      slowZip,
    )
    expect(error).toBeUndefined()
    expect(outputs['layer-version']).toBe('1')
  })

  it('times out an S3 endpoint that never answers, too', async () => {
    const big = await makeLayerZip(join(dir, 'big.zip'), {
      bootstrap: 'x',
      'lib/blob': Buffer.alloc(51 * 1024 * 1024, 7),
    })
    s3.stall()
    const { error } = await publish(
      inputs({
        publish: 'true',
        regions: 'us-east-1',
        's3-bucket': 'layers-{region}',
        'aws-idle-timeout': '1',
      }),
      big,
    )
    expect(error?.message).toMatch(
      /us-east-1: s3:PutObject timed out: no answer for 1 s \(input 'aws-idle-timeout'\)/,
    )
    expect(api.requests.map((r) => r.operation)).not.toContain('PublishLayerVersion')
  }, 60_000)

  it('adopts the version a lost reply had stored instead of publishing a duplicate', async () => {
    api.failAfterPublishing('us-east-1')
    const { error, outputs } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error).toBeUndefined()
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1])
    expect(outputs['layer-version']).toBe('1')
    expect(outputs['layer-version-arn']).toBe(
      `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:layer:picolisp:1`,
    )
    expect(outputs.published).toBe('true')
  })

  it('retries a publish that failed before anything was stored, as the SDK would', async () => {
    api.unavailable('us-east-1')
    const { error, outputs } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error).toBeUndefined()
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1])
    expect(outputs['layer-version']).toBe('1')
    const publishes = api.requests.filter((r) => r.operation === 'PublishLayerVersion')
    expect(publishes.map((r) => r.status)).toEqual([503, 201])
  })

  it('gives up after AWS_MAX_ATTEMPTS publishes that store nothing', async () => {
    api.unavailable('us-east-1', 5)
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error?.message).toMatch(/us-east-1: lambda:PublishLayerVersion failed: ServiceException/)
    // fakeAwsEnv sets AWS_MAX_ATTEMPTS=2.
    expect(api.requests.filter((r) => r.operation === 'PublishLayerVersion')).toHaveLength(2)
    expect(api.versions('us-east-1', 'picolisp')).toEqual([])
  })

  it('adopts only a version stored since the attempt, never an older identical one', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    api.failAfterPublishing('us-east-1')
    const { error, outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' }),
    )
    expect(error).toBeUndefined()
    expect(api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1, 2])
    expect(outputs['layer-version']).toBe('2')
  })

  it("fails a region whose stored CodeSha256 is not the zip's", async () => {
    api.misreportCodeSha256('eu-west-1')
    const { error, outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1 eu-west-1' }),
    )
    expect(error?.message).toMatch(/failed in 1 of 2 regions/)
    expect(error?.message).toMatch(
      /eu-west-1: Lambda stored version 1 .*with CodeSha256 \S+, but the zip built has /,
    )
    expect(Object.keys(JSON.parse(outputs['layer-version-arns'] as string))).toEqual(['us-east-1'])
  })
})
