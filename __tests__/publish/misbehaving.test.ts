import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PublishInputs } from '../../src/publish/inputs.js'
import { FAKE_ACCOUNT } from '../support/lambda-api-server.js'
import { makeLayerZip } from '../support/publish-fixtures.js'
import { publishInputs, publishWith, usePublishHarness } from '../support/publish-harness.js'

// publishLayer against a fake Lambda or S3 that stalls, drops replies or stores
// the wrong thing: timeouts, retries without duplicates, checked digests. Slow by
// design (real timeouts of a second or more), so left out of `npm run test:unit`.

const h = usePublishHarness()
const inputs = publishInputs
const publish = (given: PublishInputs, built = h.layer) => publishWith(h, given, built)

describe('publishLayer against a misbehaving endpoint', () => {
  it('times out a region that never answers and still outputs the regions that succeeded', async () => {
    h.api.stall('eu-west-1')
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
    const slowZip = await makeLayerZip(join(h.dir, 'slow.zip'), {
      bootstrap: 'x',
      'lib/blob': randomBytes(8 * 1024 * 1024),
    })
    h.api.readSlowly('us-east-1')
    const { error, outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'aws-idle-timeout': '3' }),
      slowZip,
    )
    expect(error).toBeUndefined()
    expect(outputs['layer-version']).toBe('1')
  })

  it('times out an S3 endpoint that never answers, too', async () => {
    const big = await makeLayerZip(join(h.dir, 'big.zip'), {
      bootstrap: 'x',
      'lib/blob': Buffer.alloc(51 * 1024 * 1024, 7),
    })
    h.s3.stall()
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
    expect(h.api.requests.map((r) => r.operation)).not.toContain('PublishLayerVersion')
  }, 60_000)

  it('adopts the version a lost reply had stored instead of publishing a duplicate', async () => {
    h.api.failAfterPublishing('us-east-1')
    const { error, outputs } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error).toBeUndefined()
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1])
    expect(outputs['layer-version']).toBe('1')
    expect(outputs['layer-version-arn']).toBe(
      `arn:aws:lambda:us-east-1:${FAKE_ACCOUNT}:layer:picolisp:1`,
    )
    expect(outputs.published).toBe('true')
  })

  it('retries a publish that failed before anything was stored, as the SDK would', async () => {
    h.api.unavailable('us-east-1')
    const { error, outputs } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error).toBeUndefined()
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1])
    expect(outputs['layer-version']).toBe('1')
    const publishes = h.api.requests.filter((r) => r.operation === 'PublishLayerVersion')
    expect(publishes.map((r) => r.status)).toEqual([503, 201])
  })

  it('gives up after AWS_MAX_ATTEMPTS publishes that store nothing', async () => {
    h.api.unavailable('us-east-1', 5)
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    expect(error?.message).toMatch(/us-east-1: lambda:PublishLayerVersion failed: ServiceException/)
    // fakeAwsEnv sets AWS_MAX_ATTEMPTS=2.
    expect(h.api.requests.filter((r) => r.operation === 'PublishLayerVersion')).toHaveLength(2)
    expect(h.api.versions('us-east-1', 'picolisp')).toEqual([])
  })

  it('adopts only a version stored since the attempt, never an older identical one', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    h.api.failAfterPublishing('us-east-1')
    const { error, outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' }),
    )
    expect(error).toBeUndefined()
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1, 2])
    expect(outputs['layer-version']).toBe('2')
  })

  it("fails a region whose stored CodeSha256 is not the zip's", async () => {
    h.api.misreportCodeSha256('eu-west-1')
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
