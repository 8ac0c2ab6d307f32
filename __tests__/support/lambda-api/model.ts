import { FAKE_ACCOUNT } from './fake-aws.js'

/** The operations this server speaks, named as Lambda (and IAM) names them. */
export type LayerOperation =
  | 'PublishLayerVersion'
  | 'ListLayerVersions'
  | 'GetLayerVersion'
  | 'DeleteLayerVersion'
  | 'AddLayerVersionPermission'
  | 'GetLayerVersionPolicy'

export interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Principal: string | { AWS: string }
  Action: 'lambda:GetLayerVersion'
  Resource: string
  Condition?: { StringEquals: { 'aws:PrincipalOrgID': string } }
}

export interface StoredVersion {
  version: number
  arn: string
  description: string
  licenseInfo: string
  compatibleRuntimes: string[]
  compatibleArchitectures: string[]
  codeSha256: string
  codeSize: number
  createdDate: string
  statements: PolicyStatement[]
}

export interface StoredLayer {
  nextVersion: number
  versions: Map<number, StoredVersion>
}

export interface LambdaApiOptions {
  /** How PublishLayerVersion reads `Content.S3Bucket`/`S3Key`: give it the fake S3's objects. */
  s3Object?: (region: string, bucket: string, key: string) => Buffer | undefined
  /** Items per ListLayerVersions page when the caller sets no MaxItems (AWS: 50). */
  pageSize?: number
}

/** Misbehaviour on demand, per region: none of it is anything AWS does on purpose. */
export interface Misbehaviour {
  stalled: Set<string>
  /** Publishes still to store and then answer 503, as if the reply was lost. */
  lostReplies: Map<string, number>
  /** Publishes still to refuse with 503, storing nothing. */
  refusals: Map<string, number>
  misreported: Set<string>
  arnSuffixes: Map<string, string>
  failures: Map<string, string>
  echoing: Set<string>
  slow: Set<string>
}

export function newMisbehaviour(): Misbehaviour {
  return {
    stalled: new Set(),
    lostReplies: new Map(),
    refusals: new Map(),
    misreported: new Set(),
    arnSuffixes: new Map(),
    failures: new Map(),
    echoing: new Set(),
    slow: new Set(),
  }
}

/** An error as Lambda answers it: status, x-amzn-ErrorType, {"Type","Message"}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

/** One request to a layer, past the signature and access checks, as an operation sees it. */
export interface LayerRequest {
  region: string
  layerName: string
  layerArn: string
  layer: StoredLayer
  /** The version in the path, as written there. */
  version: string | undefined
  query: URLSearchParams
  body: Record<string, unknown>
  options: LambdaApiOptions
  misbehaviour: Misbehaviour
}

export interface Answer {
  status: number
  json?: unknown
}

export type Operation = (request: LayerRequest) => Answer

/** The version the path names; 404 as Lambda answers it when there is none. */
export function versionOf({ layer, version }: LayerRequest): StoredVersion {
  const stored = layer.versions.get(Number(version))
  if (!/^\d+$/.test(version ?? '') || !stored) {
    throw new ApiError(
      404,
      'ResourceNotFoundException',
      'The resource you requested does not exist.',
    )
  }
  return stored
}

/** A version as ListLayerVersions lists it. */
export function listedVersion(v: StoredVersion) {
  return {
    LayerVersionArn: v.arn,
    Version: v.version,
    Description: v.description,
    CreatedDate: v.createdDate,
    CompatibleRuntimes: v.compatibleRuntimes,
    LicenseInfo: v.licenseInfo,
    CompatibleArchitectures: v.compatibleArchitectures,
  }
}

/** A version as PublishLayerVersion and GetLayerVersion answer it, content included. */
export function fullVersion(request: LayerRequest, v: StoredVersion) {
  const { region, layerName, layerArn, misbehaviour } = request
  return {
    Content: {
      Location: `https://awslambda-${region}-layers.s3.${region}.amazonaws.com/snapshots/${FAKE_ACCOUNT}/${layerName}-${v.version}`,
      CodeSha256: misbehaviour.misreported.has(region)
        ? `${v.codeSha256.slice(0, -4)}AAA=`
        : v.codeSha256,
      CodeSize: v.codeSize,
    },
    LayerArn: layerArn,
    ...listedVersion(v),
  }
}
