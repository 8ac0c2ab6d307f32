import { Runtime } from '@aws-sdk/client-lambda'
import {
  COMPATIBLE_RUNTIMES_MAX,
  DESCRIPTION_MAX,
  LAYER_NAME,
  LICENSE_INFO_MAX,
} from '../common/lambda-limits.js'
import { InputError } from '../inputs/input-error.js'
import { actionInput, boolean, type InputReader } from '../inputs/read.js'

/** Everything the publish phase needs from the workflow, validated. */
export interface PublishInputs {
  layerName: string
  /** In the order the user wrote them; the first one feeds the single-value outputs. */
  regions: string[]
  /** Undefined means "derive from the built layer" (see plan.ts, desiredMetadata). */
  description: string | undefined
  licenseInfo: string
  compatibleRuntimes: string[]
  /** `*`, 12-digit account ids and `o-…` organization ids, without duplicates. */
  shareWith: string[]
  skipUnchanged: boolean
  /** 0 keeps every version. */
  keepVersions: number
  /** May contain `{region}`; undefined means zips over the direct-upload limit fail. */
  s3Bucket: string | undefined
  dryRun: boolean
  timeouts: AwsTimeouts
}

/** Seconds; see clients.ts for how the SDK applies them. */
export interface AwsTimeouts {
  /** To open the connection to an AWS endpoint. */
  connect: number
  /** Without a byte moving either way once connected: an upload in progress never trips it. */
  idle: number
}

// us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1 ...
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/
const ACCOUNT_ID = /^\d{12}$/
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const KNOWN_RUNTIMES = new Set<string>(Object.values(Runtime))

/**
 * Reads and validates the publish inputs before any build work, so a typo fails in
 * seconds rather than after a compile. Returns undefined when neither `publish` nor
 * `dry-run` asks for the publish phase; `dry-run` alone previews publishing.
 */
export function readPublishInputs(read: InputReader = actionInput): PublishInputs | undefined {
  return parsePublishInputs(read, process.env)
}

export function parsePublishInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv,
): PublishInputs | undefined {
  const publish = boolean(input, 'publish', false)
  const dryRun = boolean(input, 'dry-run', false)
  const skipUnchanged = boolean(input, 'skip-unchanged', true)
  if (!publish && !dryRun) return undefined

  const regions = parseRegions(input('regions'), env)
  return {
    layerName: parseLayerName(input('layer-name')),
    regions,
    description: parseDescription(input('description')),
    licenseInfo: parseLicenseInfo(input('license-info')),
    compatibleRuntimes: parseRuntimes(input('compatible-runtimes')),
    shareWith: parseShareWith(input('share-with')),
    skipUnchanged,
    keepVersions: parseKeepVersions(input('keep-versions')),
    s3Bucket: parseS3Bucket(input('s3-bucket'), regions),
    dryRun,
    timeouts: {
      connect: parseSeconds('aws-connect-timeout', input('aws-connect-timeout'), 30),
      idle: parseSeconds('aws-idle-timeout', input('aws-idle-timeout'), 120),
    },
  }
}

/** Comma, whitespace or newline separated, as YAML block scalars and one-liners both read well. */
export function splitList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter((item) => item !== ''))]
}

function parseLayerName(raw: string): string {
  const name = raw.trim() || 'picolisp'
  if (!LAYER_NAME.test(name)) {
    throw InputError.invalid(
      'layer-name',
      'must be 1 to 140 letters, digits, hyphens or underscores (a plain layer name, not an ARN)',
      name,
    )
  }
  return name
}

function parseRegions(raw: string, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION || ''
  const regions = splitList(raw.trim() === '' ? fromEnv : raw)
  if (regions.length === 0) {
    throw new InputError(
      'regions',
      'is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set: ' +
        'name the regions to publish to, e.g. "us-east-1, eu-west-1".',
    )
  }
  for (const region of regions) {
    if (!REGION.test(region)) {
      throw InputError.invalid('regions', 'must list AWS region codes such as us-east-1', region)
    }
  }
  return regions
}

function parseDescription(raw: string): string | undefined {
  const description = raw.trim()
  if (description === '') return undefined
  if (description.length > DESCRIPTION_MAX) {
    throw InputError.invalid(
      'description',
      `must be at most ${DESCRIPTION_MAX} characters (it has ${description.length})`,
      raw,
    )
  }
  return description
}

function parseLicenseInfo(raw: string): string {
  const license = raw.trim() || 'MIT'
  if (license.length > LICENSE_INFO_MAX) {
    throw InputError.invalid(
      'license-info',
      `must be at most ${LICENSE_INFO_MAX} characters (it has ${license.length})`,
      raw,
    )
  }
  return license
}

function parseRuntimes(raw: string): string[] {
  const runtimes = splitList(raw.trim() === '' ? 'provided.al2023' : raw)
  if (runtimes.length > COMPATIBLE_RUNTIMES_MAX) {
    throw InputError.invalid(
      'compatible-runtimes',
      `may list at most ${COMPATIBLE_RUNTIMES_MAX} runtimes`,
      raw,
    )
  }
  for (const runtime of runtimes) {
    if (!KNOWN_RUNTIMES.has(runtime)) {
      throw InputError.invalid(
        'compatible-runtimes',
        'must list Lambda runtime identifiers such as provided.al2023',
        runtime,
      )
    }
  }
  return runtimes
}

function parseShareWith(raw: string): string[] {
  const principals = splitList(raw)
  for (const principal of principals) {
    if (principal !== '*' && !ACCOUNT_ID.test(principal) && !ORGANIZATION_ID.test(principal)) {
      throw InputError.invalid(
        'share-with',
        "must list '*' (everyone), 12-digit AWS account ids or organization ids (o-…)",
        principal,
      )
    }
  }
  return principals
}

function parseKeepVersions(raw: string): number {
  const value = raw.trim() || '0'
  if (!/^\d{1,6}$/.test(value)) {
    throw InputError.invalid(
      'keep-versions',
      'must be a whole number, 0 to keep every version',
      raw,
    )
  }
  return Number(value)
}

function parseSeconds(name: string, raw: string, fallback: number): number {
  const value = raw.trim()
  if (value === '') return fallback
  const seconds = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > 3600) {
    throw InputError.invalid(name, 'must be a number of seconds, above 0 and at most 3600', raw)
  }
  return seconds
}

function parseS3Bucket(raw: string, regions: string[]): string | undefined {
  const bucket = raw.trim()
  if (bucket === '') return undefined
  // Lambda reads the zip from a bucket in the layer's own region, and bucket names are global.
  if (regions.length > 1 && !bucket.includes('{region}')) {
    throw InputError.invalid(
      's3-bucket',
      'must contain {region} when publishing to several regions, because Lambda only reads ' +
        'from a bucket in the same region (e.g. my-layers-{region})',
      bucket,
    )
  }
  for (const region of regions) {
    const name = bucketForRegion(bucket, region)
    if (!S3_BUCKET.test(name) || name.includes('..')) {
      throw InputError.invalid(
        's3-bucket',
        'must be an S3 bucket name (3 to 63 lowercase letters, digits, dots or hyphens)',
        name,
      )
    }
  }
  return bucket
}

export function bucketForRegion(bucket: string, region: string): string {
  return bucket.replaceAll('{region}', region)
}
