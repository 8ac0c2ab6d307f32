import { describe, expect, it } from 'vitest'
import type { BuiltLayer } from '../../src/common/types.js'
import { mapWithLimit } from '../../src/publish/concurrency.js'
import { parsePublishInputs } from '../../src/publish/inputs.js'
import {
  decidePublish,
  desiredMetadata,
  type ExistingVersion,
  type LayerMetadata,
  newestVersion,
  planRegion,
  type RegionListing,
  versionsToPrune,
} from '../../src/publish/plan.js'
import { dryRunLines } from '../../src/publish/report.js'
import { grantFor, missingGrants, statementIds } from '../../src/publish/sharing.js'

const layer: BuiltLayer = {
  zipPath: '/tmp/layer.zip',
  sha256: 'ab'.repeat(32),
  codeSha256: 'q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=',
  size: 1234,
  picolispVersion: '26.6.29',
  architecture: 'arm64',
}
const metadata: LayerMetadata = {
  description: 'PicoLisp 26.6.29 runtime (arm64)',
  licenseInfo: 'MIT',
  compatibleRuntimes: ['provided.al2023'],
  compatibleArchitectures: ['arm64'],
}
const version = (n: number, changes: Partial<LayerMetadata> = {}): ExistingVersion => ({
  version: n,
  versionArn: `arn:aws:lambda:us-east-1:123456789012:layer:picolisp:${n}`,
  metadata: { ...metadata, ...changes },
})

describe('desiredMetadata', () => {
  it('derives a description that is the same on every run, and the architecture from the layer', () => {
    const inputs = parsePublishInputs(
      (n) => ({ publish: 'true', regions: 'us-east-1' })[n] ?? '',
      {},
    )
    if (!inputs) throw new Error('no inputs')
    expect(desiredMetadata(inputs, layer)).toEqual(metadata)
    expect(desiredMetadata({ ...inputs, description: 'mine' }, layer).description).toBe('mine')
  })
})

describe('decidePublish', () => {
  const decide = (
    newest: ExistingVersion | undefined,
    sha = layer.codeSha256,
    skipUnchanged = true,
  ) =>
    decidePublish({
      newest,
      newestCodeSha256: sha,
      desired: metadata,
      codeSha256: layer.codeSha256,
      skipUnchanged,
    })

  it('keeps the newest version when content and metadata match', () => {
    expect(decide(version(7))).toEqual({ action: 'keep', version: 7 })
  })
  it('treats runtimes as a set', () => {
    const twice = version(7, { compatibleRuntimes: ['provided.al2023', 'provided.al2023'] })
    expect(decide(twice)).toEqual({ action: 'keep', version: 7 })
  })
  it('publishes the first version', () => {
    expect(decide(undefined)).toEqual({
      action: 'publish',
      reason: 'the layer has no versions yet',
    })
  })
  it('says what differs', () => {
    expect(decide(version(7), 'other')).toEqual({
      action: 'publish',
      reason: 'version 7 differs in content',
    })
    expect(decide(version(7, { description: 'x', compatibleArchitectures: ['x86_64'] }))).toEqual({
      action: 'publish',
      reason: 'version 7 differs in description, architecture',
    })
  })
  it('always publishes when skip-unchanged is off', () => {
    expect(decide(version(7), layer.codeSha256, false).action).toBe('publish')
  })
})

describe('newestVersion', () => {
  it('finds the highest version number in any order', () => {
    expect(newestVersion([version(3), version(9), version(4)])?.version).toBe(9)
    expect(newestVersion([])).toBeUndefined()
  })
})

describe('versionsToPrune', () => {
  it('keeps everything when keep is 0', () => {
    expect(versionsToPrune([1, 2, 3], 0, true)).toEqual([])
  })
  it('counts the version being published', () => {
    expect(versionsToPrune([1, 2, 3], 2, true)).toEqual([2, 1])
    expect(versionsToPrune([3, 1, 2], 1, true)).toEqual([3, 2, 1])
  })
  it('counts the version being kept', () => {
    expect(versionsToPrune([1, 2, 3], 2, false)).toEqual([1])
    expect(versionsToPrune([1, 2], 5, false)).toEqual([])
  })
})

describe('planRegion', () => {
  const listed = (versions: ExistingVersion[], sha?: string): RegionListing => {
    const newest = newestVersion(versions)
    return {
      existing: versions,
      newest,
      newestLayerArn: newest && 'arn:aws:lambda:us-east-1:123456789012:layer:picolisp',
      newestCodeSha256: sha,
    }
  }
  const plan = (listing: RegionListing, keepVersions = 2) =>
    planRegion(listing, { skipUnchanged: true, keepVersions }, metadata, layer.codeSha256)

  it('keeps the unchanged newest version and prunes beyond it, newest first', () => {
    expect(plan(listed([version(1), version(3), version(2)], layer.codeSha256))).toEqual({
      decision: { action: 'keep', version: 3 },
      newest: version(3),
      prune: [1],
    })
  })
  it('counts the version it publishes among those kept', () => {
    expect(plan(listed([version(1), version(2)], 'other'))).toEqual({
      decision: { action: 'publish', reason: 'version 2 differs in content' },
      newest: version(2),
      prune: [1],
    })
  })
  it('publishes into an empty layer with nothing to prune', () => {
    expect(plan(listed([]), 1)).toEqual({
      decision: { action: 'publish', reason: 'the layer has no versions yet' },
      newest: undefined,
      prune: [],
    })
  })
})

describe('dryRunLines', () => {
  it('says what would be published, granted and deleted, in that order', () => {
    const plan = {
      decision: { action: 'publish' as const, reason: 'version 2 differs in content' },
      newest: version(2),
      prune: [2, 1],
    }
    const grants = ['*', '210987654321', 'o-abcdefghij'].map(grantFor)
    expect(dryRunLines('picolisp', plan, grants, {})).toEqual([
      'would publish a new version of picolisp: version 2 differs in content',
      'would grant lambda:GetLayerVersion to everyone (*)',
      'would grant lambda:GetLayerVersion to account 210987654321',
      'would grant lambda:GetLayerVersion to organization o-abcdefghij',
      'would delete version 2',
      'would delete version 1',
    ])
  })
  it('names the version it would keep', () => {
    const plan = {
      decision: { action: 'keep' as const, version: 2 },
      newest: version(2),
      prune: [],
    }
    const kept = { version: 2, versionArn: version(2).versionArn }
    expect(dryRunLines('picolisp', plan, [], kept)).toEqual([
      `would keep unchanged version 2 (${version(2).versionArn})`,
    ])
  })
})

describe('sharing', () => {
  it('grants * without a condition, accounts directly and organizations through *', () => {
    expect(grantFor('*')).toEqual({ statementId: 'share-public', principal: '*' })
    expect(grantFor('123456789012')).toEqual({
      statementId: 'share-account-123456789012',
      principal: '123456789012',
    })
    expect(grantFor('o-a1b2c3d4e5')).toEqual({
      statementId: 'share-org-o-a1b2c3d4e5',
      principal: '*',
      organizationId: 'o-a1b2c3d4e5',
    })
  })
  it('reads statement ids from a policy, one statement or many', () => {
    expect(statementIds(undefined)).toEqual(new Set())
    expect(statementIds('{"Statement":{"Sid":"a"}}')).toEqual(new Set(['a']))
    expect(statementIds('{"Statement":[{"Sid":"a"},{"Sid":"b"}]}')).toEqual(new Set(['a', 'b']))
  })
  it('asks only for grants the policy lacks, leaving foreign statements alone', () => {
    const policy = JSON.stringify({
      Statement: [{ Sid: 'share-public' }, { Sid: 'someone-elses' }],
    })
    expect(missingGrants(['*', '123456789012'], policy)).toEqual([grantFor('123456789012')])
  })
})

describe('mapWithLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0
    let most = 0
    const results = await mapWithLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, n))
      running--
      return n * 10
    })
    expect(results).toEqual([50, 10, 40, 20, 30])
    expect(most).toBe(2)
  })
})
