import type { BuiltLayer } from '../common/types.js'
import { awsCall } from './errors.js'
import type { PublishInputs } from './inputs.js'
import type { LayerMetadata } from './plan.js'

/** One region's share of the publish: everything it needs, nothing it shares with others. */
export interface RegionJob {
  region: string
  inputs: PublishInputs
  layer: BuiltLayer
  zip: Buffer
  desired: LayerMetadata
}

export type RegionOutcome = 'published' | 'unchanged' | 'would-publish' | 'would-keep' | 'failed'

/** What happened in one region (or, in a dry run, what would have). */
export interface RegionResult {
  region: string
  outcome: RegionOutcome
  layerArn?: string
  versionArn?: string
  version?: number
  /** Why a version is (or would be) published. */
  reason?: string
  /** Versions deleted, or in a dry run to be deleted. */
  pruned: number[]
  /** Principals newly granted, or in a dry run to be granted. */
  granted: string[]
  error?: string
}

/** Runs one Lambda call of the job's region; a failure names the call (and its IAM action). */
export function lambdaCall<T>(
  job: RegionJob,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  return awsCall({ service: 'lambda', operation, region: job.region }, call)
}

// arn:aws:lambda:us-east-1:123456789012:layer:name[:version], in any partition.
const LAYER_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]{1,140}$/
const LAYER_VERSION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+$/

/**
 * An ARN from the service becomes an output, which later steps may paste into a shell
 * or a log: one that is not shaped like an ARN fails the region instead.
 */
function checkedArn(value: string | undefined, shape: RegExp, what: string): string | undefined {
  if (value === undefined || shape.test(value)) return value
  throw new Error(`Lambda answered a ${what} that is not one: ${JSON.stringify(value)}`)
}

/** Writes the version published or kept into the result, each ARN checked for its shape first. */
export function recordVersion(
  result: RegionResult,
  found: { layerArn?: string; versionArn?: string; version?: number },
): void {
  result.layerArn = checkedArn(found.layerArn, LAYER_ARN, 'layer ARN')
  result.versionArn = checkedArn(found.versionArn, LAYER_VERSION_ARN, 'layer version ARN')
  result.version = found.version
}
