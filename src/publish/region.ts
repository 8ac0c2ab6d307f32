import * as core from '@actions/core'
import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient,
  type LayerVersionContentInput,
} from '@aws-sdk/client-lambda'
import { DIRECT_UPLOAD_LIMIT } from '../common/lambda-limits.js'
import type { BuiltLayer } from '../common/types.js'
import { neutralise } from '../common/untrusted.js'
import { lambdaClient, maskResolvedCredentials } from './clients.js'
import { awsCall } from './errors.js'
import { bucketForRegion, type PublishInputs } from './inputs.js'
import { decidePublish, type LayerMetadata, newestVersion, versionsToPrune } from './plan.js'
import { listVersions, publishVersion } from './publish-version.js'
import { withTemporaryS3Object } from './s3-upload.js'
import { type Grant, grantFor, missingGrants } from './sharing.js'

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

/** Does one region's whole job; never throws, a failure is an outcome like the others. */
export async function publishRegion(job: RegionJob): Promise<RegionResult> {
  const result: RegionResult = { region: job.region, outcome: 'failed', pruned: [], granted: [] }
  const client = lambdaClient(job.region, job.inputs.timeouts)
  try {
    await maskResolvedCredentials(client)
    await work(client, job, result)
  } catch (error) {
    result.outcome = 'failed'
    result.error = error instanceof Error ? error.message : String(error)
    core.error(neutralise(`${job.region}: ${result.error}`))
  } finally {
    client.destroy()
  }
  return result
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

async function work(client: LambdaClient, job: RegionJob, result: RegionResult): Promise<void> {
  const { region, inputs, layer, desired } = job
  const LayerName = inputs.layerName
  const lambda = (operation: string) => ({ service: 'lambda' as const, operation, region })
  const log = (line: string) =>
    core.info(neutralise(`${inputs.dryRun ? '[dry run] ' : ''}${region}: ${line}`))

  const existing = await awsCall(lambda('ListLayerVersions'), () => listVersions(client, LayerName))
  const newest = newestVersion(existing)
  const newestDetails =
    newest && inputs.skipUnchanged
      ? await awsCall(lambda('GetLayerVersion'), () =>
          client.send(new GetLayerVersionCommand({ LayerName, VersionNumber: newest.version })),
        )
      : undefined
  const decision = decidePublish({
    newest,
    newestCodeSha256: newestDetails?.Content?.CodeSha256,
    desired,
    codeSha256: layer.codeSha256,
    skipUnchanged: inputs.skipUnchanged,
  })
  const publishing = decision.action === 'publish'
  const prune = versionsToPrune(
    existing.map((v) => v.version),
    inputs.keepVersions,
    publishing,
  )

  let grants: Grant[]
  if (publishing) {
    result.reason = decision.reason
    grants = inputs.shareWith.map(grantFor)
  } else {
    result.layerArn = checkedArn(newestDetails?.LayerArn, LAYER_ARN, 'layer ARN')
    result.versionArn = checkedArn(newest?.versionArn, LAYER_VERSION_ARN, 'layer version ARN')
    result.version = newest?.version
    grants = await grantsStillMissing(client, job, decision.version)
  }

  if (inputs.dryRun) {
    result.outcome = publishing ? 'would-publish' : 'would-keep'
    result.pruned = prune
    result.granted = grants.map(describeGrant)
    log(
      publishing
        ? `would publish a new version of ${LayerName}: ${decision.reason}`
        : `would keep unchanged version ${result.version} (${result.versionArn})`,
    )
    for (const grant of grants) log(`would grant lambda:GetLayerVersion to ${describeGrant(grant)}`)
    for (const version of prune) log(`would delete version ${version}`)
    return
  }

  if (publishing) {
    log(`publishing ${LayerName}: ${decision.reason}`)
    // Same credentials as `client` (already masked): no second role assumption.
    const publishClient = lambdaClient(region, inputs.timeouts, {
      maxAttempts: 1,
      credentials: client.config.credentials,
    })
    const published = await withContent(job, (content) =>
      publishVersion({
        client,
        publishClient,
        region,
        layerName: LayerName,
        content,
        desired,
        codeSha256: layer.codeSha256,
        baseline: newest?.version ?? 0,
      }),
    ).finally(() => publishClient.destroy())
    result.layerArn = checkedArn(published.LayerArn, LAYER_ARN, 'layer ARN')
    result.versionArn = checkedArn(
      published.LayerVersionArn,
      LAYER_VERSION_ARN,
      'layer version ARN',
    )
    result.version = published.Version
    const stored = published.Content?.CodeSha256
    if (stored !== layer.codeSha256) {
      // Not the layer that was built: nothing may use it as if it were.
      throw new Error(
        `Lambda stored version ${result.version} (${result.versionArn}) with CodeSha256 ` +
          `${stored}, but the zip built has ${layer.codeSha256}: the stored layer is not the one built`,
      )
    }
    log(`published version ${result.version} (${result.versionArn})`)
  } else {
    log(`unchanged: keeping version ${result.version} (${result.versionArn})`)
  }

  const version = result.version as number
  for (const grant of grants) {
    await addGrant(client, LayerName, version, grant, lambda('AddLayerVersionPermission'))
    result.granted.push(describeGrant(grant))
    log(`granted lambda:GetLayerVersion to ${describeGrant(grant)}`)
  }
  for (const old of prune) {
    await awsCall(lambda('DeleteLayerVersion'), () =>
      client.send(new DeleteLayerVersionCommand({ LayerName, VersionNumber: old })),
    )
    result.pruned.push(old)
    log(`deleted version ${old}`)
  }
  result.outcome = publishing ? 'published' : 'unchanged'
}

async function grantsStillMissing(
  client: LambdaClient,
  job: RegionJob,
  version: number,
): Promise<Grant[]> {
  if (job.inputs.shareWith.length === 0) return []
  const context = {
    service: 'lambda' as const,
    operation: 'GetLayerVersionPolicy',
    region: job.region,
  }
  const policy = await awsCall(context, async () => {
    try {
      const answer = await client.send(
        new GetLayerVersionPolicyCommand({
          LayerName: job.inputs.layerName,
          VersionNumber: version,
        }),
      )
      return answer.Policy
    } catch (error) {
      // A version nobody was granted anything on has no policy at all.
      if ((error as Error).name === 'ResourceNotFoundException') return undefined
      throw error
    }
  })
  return missingGrants(job.inputs.shareWith, policy)
}

async function addGrant(
  client: LambdaClient,
  LayerName: string,
  VersionNumber: number,
  grant: Grant,
  context: { service: 'lambda'; operation: string; region: string },
): Promise<void> {
  await awsCall(context, async () => {
    try {
      await client.send(
        new AddLayerVersionPermissionCommand({
          LayerName,
          VersionNumber,
          StatementId: grant.statementId,
          Action: 'lambda:GetLayerVersion',
          Principal: grant.principal,
          OrganizationId: grant.organizationId,
        }),
      )
    } catch (error) {
      // Another run granted the same statement in between: the grant is there, as wanted.
      if ((error as Error).name !== 'ResourceConflictException') throw error
    }
  })
}

/** Inline for zips Lambda accepts directly, through a temporary S3 object above that. */
function withContent<T>(
  job: RegionJob,
  use: (content: LayerVersionContentInput) => Promise<T>,
): Promise<T> {
  const { zip, region, inputs, layer } = job
  if (zip.length <= DIRECT_UPLOAD_LIMIT || inputs.s3Bucket === undefined) {
    return use({ ZipFile: zip })
  }
  return withTemporaryS3Object(
    {
      region,
      bucket: bucketForRegion(inputs.s3Bucket, region),
      layerName: inputs.layerName,
      zip,
      sha256: layer.sha256,
      timeouts: inputs.timeouts,
    },
    use,
  )
}

export function describeGrant(grant: Grant): string {
  if (grant.organizationId) return `organization ${grant.organizationId}`
  return grant.principal === '*' ? 'everyone (*)' : `account ${grant.principal}`
}
