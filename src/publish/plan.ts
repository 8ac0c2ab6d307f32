import type { Architecture, BuiltLayer } from '../common/types.js'
import type { PublishInputs } from './inputs.js'

/** The fields Lambda stores with a layer version that skip-unchanged compares. */
export interface LayerMetadata {
  description: string
  licenseInfo: string
  compatibleRuntimes: string[]
  compatibleArchitectures: Architecture[]
}

/** What one region already holds, as ListLayerVersions and GetLayerVersion describe it. */
export interface ExistingVersion {
  version: number
  versionArn: string
  metadata: LayerMetadata
}

export type PublishDecision =
  | { action: 'publish'; reason: string }
  | { action: 'keep'; version: number }

/**
 * What we ask Lambda to store. The default description has no date or run number in
 * it: it must come out the same on every run, or skip-unchanged could never match.
 */
export function desiredMetadata(inputs: PublishInputs, layer: BuiltLayer): LayerMetadata {
  return {
    description:
      inputs.description ?? `PicoLisp ${layer.picolispVersion} runtime (${layer.architecture})`,
    licenseInfo: inputs.licenseInfo,
    compatibleRuntimes: inputs.compatibleRuntimes,
    compatibleArchitectures: [layer.architecture],
  }
}

/** Names of the fields that differ, so the log can say why a version is published. */
export function metadataDifferences(a: LayerMetadata, b: LayerMetadata): string[] {
  const differences: string[] = []
  if (a.description !== b.description) differences.push('description')
  if (a.licenseInfo !== b.licenseInfo) differences.push('license-info')
  if (!sameSet(a.compatibleRuntimes, b.compatibleRuntimes)) differences.push('compatible-runtimes')
  if (!sameSet(a.compatibleArchitectures, b.compatibleArchitectures)) {
    differences.push('architecture')
  }
  return differences
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort()
  const right = [...new Set(b)].sort()
  return left.length === right.length && left.every((item, i) => item === right[i])
}

/** The newest version in `existing`, whatever order the service listed them in. */
export function newestVersion(existing: readonly ExistingVersion[]): ExistingVersion | undefined {
  return existing.reduce<ExistingVersion | undefined>(
    (newest, v) => (newest === undefined || v.version > newest.version ? v : newest),
    undefined,
  )
}

/**
 * Publish, or keep the newest version when it already holds this exact zip with the
 * same metadata. `newestCodeSha256` is the base64 digest Lambda reports for it.
 */
export function decidePublish(options: {
  newest: ExistingVersion | undefined
  newestCodeSha256: string | undefined
  desired: LayerMetadata
  codeSha256: string
  skipUnchanged: boolean
}): PublishDecision {
  const { newest, newestCodeSha256, desired, codeSha256, skipUnchanged } = options
  if (newest === undefined) return { action: 'publish', reason: 'the layer has no versions yet' }
  if (!skipUnchanged) return { action: 'publish', reason: 'skip-unchanged is false' }
  const changed = metadataDifferences(newest.metadata, desired)
  if (newestCodeSha256 !== codeSha256) changed.unshift('content')
  if (changed.length > 0) {
    return {
      action: 'publish',
      reason: `version ${newest.version} differs in ${changed.join(', ')}`,
    }
  }
  return { action: 'keep', version: newest.version }
}

/**
 * Versions to delete so that `keep` remain, counting the one just published (or kept).
 * Returns them newest first; `keep` 0 deletes nothing.
 */
export function versionsToPrune(
  existing: readonly number[],
  keep: number,
  publishing: boolean,
): number[] {
  if (keep <= 0) return []
  const newestFirst = [...existing].sort((a, b) => b - a)
  return newestFirst.slice(publishing ? keep - 1 : keep)
}

/** What a region holds, as read before deciding: the versions listed and the newest's details. */
export interface RegionListing {
  existing: ExistingVersion[]
  newest: ExistingVersion | undefined
  /** From GetLayerVersion of the newest, asked only when skip-unchanged may keep it. */
  newestLayerArn: string | undefined
  newestCodeSha256: string | undefined
}

/** What to do in one region: publish or keep, and which versions to delete after. */
export interface RegionPlan {
  decision: PublishDecision
  /** The newest version before publishing: the one kept, or the one a publish follows. */
  newest: ExistingVersion | undefined
  /** Versions to delete, newest first. */
  prune: number[]
}

/** Decides one region's work from what it holds; asks nothing of the service. */
export function planRegion(
  listing: RegionListing,
  inputs: Pick<PublishInputs, 'skipUnchanged' | 'keepVersions'>,
  desired: LayerMetadata,
  codeSha256: string,
): RegionPlan {
  const decision = decidePublish({
    newest: listing.newest,
    newestCodeSha256: listing.newestCodeSha256,
    desired,
    codeSha256,
    skipUnchanged: inputs.skipUnchanged,
  })
  const prune = versionsToPrune(
    listing.existing.map((v) => v.version),
    inputs.keepVersions,
    decision.action === 'publish',
  )
  return { decision, newest: listing.newest, prune }
}
