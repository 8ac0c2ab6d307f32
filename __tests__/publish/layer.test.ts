import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PublishInputs } from '../../src/publish/inputs.js'
import { FAKE_ACCOUNT } from '../support/lambda-api-server.js'
import { makeLayerZip } from '../support/publish-fixtures.js'
import {
  mutationsOf,
  publishInputs,
  publishWith,
  usePublishHarness,
} from '../support/publish-harness.js'

// publishLayer in-process against the fake Lambda and S3, through the real SDK over HTTP.

const h = usePublishHarness()
const inputs = publishInputs
const publish = (given: PublishInputs, built = h.layer) => publishWith(h, given, built)
const mutations = () => mutationsOf(h.api)

describe('publishLayer', () => {
  it('publishes to three regions and hands out every ARN', async () => {
    const { error, outputs, summary } = await publish(
      inputs({ publish: 'true', regions: 'eu-west-1, us-east-1\nus-west-2' }),
    )
    expect(error).toBeUndefined()
    const arns = JSON.parse(outputs['layer-version-arns'] as string)
    expect(Object.keys(arns)).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const region of ['eu-west-1', 'us-east-1', 'us-west-2']) {
      const [stored] = h.api.versions(region, 'picolisp')
      expect(stored?.codeSha256).toBe(h.layer.codeSha256)
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
    const before = h.api.requests.length
    const second = await publish(given)
    expect(second.error).toBeUndefined()
    expect(h.api.requests.slice(before).map((r) => r.operation)).not.toContain(
      'PublishLayerVersion',
    )
    expect(second.outputs['layer-version-arns']).toBe(first.outputs['layer-version-arns'])
    expect(second.outputs['layer-version']).toBe('1')
    expect(second.outputs.published).toBe('false')
    expect(second.summary).toContain('<td>unchanged</td>')
    expect(h.api.versions('us-east-1', 'picolisp')).toHaveLength(1)
  })

  it('publishes new versions when one byte of the zip changes', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1,eu-west-1' })
    await publish(given)
    const changed = await makeLayerZip(join(h.dir, 'changed.zip'), {
      bootstrap: '#!/bin/sh\nexec pil \n',
    })
    const { error, outputs } = await publish(given, changed)
    expect(error).toBeUndefined()
    expect(outputs.published).toBe('true')
    expect(outputs['layer-version']).toBe('2')
    expect(h.api.versions('eu-west-1', 'picolisp').map((v) => v.codeSha256)).toEqual([
      h.layer.codeSha256,
      changed.codeSha256,
    ])
  })

  it('publishes a new version when only the metadata changes', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1' }))
    const { outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'license-info': 'MIT-0' }),
    )
    expect(outputs['layer-version']).toBe('2')
    expect(h.api.versions('us-east-1', 'picolisp')[1]?.licenseInfo).toBe('MIT-0')
  })

  it('shares publicly, with an account and an organization, and a second run changes nothing', async () => {
    const given = inputs({
      publish: 'true',
      regions: 'us-east-1 eu-west-1',
      'share-with': '*, 210987654321, o-abcdefghij',
    })
    const first = await publish(given)
    expect(first.error).toBeUndefined()
    const statements = h.api.versions('eu-west-1', 'picolisp')[0]?.statements ?? []
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

    const before = h.api.requests.length
    const second = await publish(given)
    expect(second.error).toBeUndefined()
    const again = h.api.requests.slice(before).map((r) => r.operation)
    expect(again).toContain('GetLayerVersionPolicy')
    expect(again).not.toContain('AddLayerVersionPermission')
    expect(h.api.versions('eu-west-1', 'picolisp')[0]?.statements).toHaveLength(3)
  })

  it('adds only the grant that is missing when share-with grows', async () => {
    await publish(inputs({ publish: 'true', regions: 'us-east-1', 'share-with': '210987654321' }))
    const before = h.api.requests.length
    const { error, summary } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'share-with': '210987654321 *' }),
    )
    expect(error).toBeUndefined()
    expect(
      h.api.requests.slice(before).filter((r) => r.operation === 'AddLayerVersionPermission'),
    ).toHaveLength(1)
    expect(summary).toContain('shared with everyone (*)')
  })

  it('prunes to the newest N versions, counting the one just published', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' })
    for (let i = 0; i < 4; i++) await publish(given)
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([1, 2, 3, 4])
    const { error, summary } = await publish(
      inputs({
        publish: 'true',
        regions: 'us-east-1',
        'skip-unchanged': 'false',
        'keep-versions': '2',
      }),
    )
    expect(error).toBeUndefined()
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([4, 5])
    expect(summary).toContain('deleted version 3, 2, 1')
  })

  it('counts a kept unchanged version when pruning', async () => {
    const given = inputs({ publish: 'true', regions: 'us-east-1', 'skip-unchanged': 'false' })
    for (let i = 0; i < 3; i++) await publish(given)
    const { outputs } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 'keep-versions': '1' }),
    )
    expect(outputs.published).toBe('false')
    expect(h.api.versions('us-east-1', 'picolisp').map((v) => v.version)).toEqual([3])
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
    h.api.deny('eu-west-1', 'PublishLayerVersion')
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
    expect(h.api.versions('us-west-2', 'picolisp')).toHaveLength(1)
  })

  it('names the missing permission for sharing, too', async () => {
    h.api.deny('us-east-1', 'AddLayerVersionPermission')
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
    expect(h.api.requests).toHaveLength(0)
  })

  it('says which region is unknown', async () => {
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1 xx-nowhere-9' }))
    expect(error?.message).toMatch(/xx-nowhere-9: unknown region xx-nowhere-9/)
    expect(h.api.versions('us-east-1', 'picolisp')).toHaveLength(1)
  })

  it('refuses a zip over the direct-upload limit without s3-bucket, before any request', async () => {
    const big = { ...h.layer, size: 50 * 1024 * 1024 + 1 }
    const { error } = await publish(inputs({ publish: 'true', regions: 'us-east-1' }), big)
    expect(error?.message).toMatch(/over the 50\.0 MiB.*'s3-bucket'/)
    expect(h.api.requests).toHaveLength(0)
  })

  it('uploads a zip over 50 MB through S3 and deletes the temporary object', async () => {
    const bigFile = Buffer.alloc(51 * 1024 * 1024, 7)
    const big = await makeLayerZip(join(h.dir, 'big.zip'), { bootstrap: 'x', 'lib/blob': bigFile })
    const { error } = await publish(
      inputs({ publish: 'true', regions: 'us-east-1', 's3-bucket': 'layers-{region}' }),
      big,
    )
    expect(error).toBeUndefined()
    expect(h.s3.requests.map((r) => [r.operation, r.bucket, r.status])).toEqual([
      ['PutObject', 'layers-us-east-1', 200],
      ['DeleteObject', 'layers-us-east-1', 204],
    ])
    expect(h.s3.keys()).toEqual([])
    expect(h.api.versions('us-east-1', 'picolisp')[0]?.codeSha256).toBe(big.codeSha256)
  })
})
