import * as core from '@actions/core'
import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  type LayerVersionContentInput,
  PublishLayerVersionCommand,
  paginateListLayerVersions,
  type Runtime,
} from '@aws-sdk/client-lambda'
import type { Architecture, BuiltLayer } from '../types.js'
import { AwsCallError, awsCall } from './errors.js'
import { bucketForRegion, type PublishInputs } from './inputs.js'
import { DIRECT_UPLOAD_LIMIT } from './limits.js'
import {
  decidePublish,
  type ExistingVersion,
  type LayerMetadata,
  newestVersion,
  versionsToPrune,
} from './plan.js'
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
  // No endpoint here: AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL and profiles must apply.
  const client = new LambdaClient({ region: job.region })
  try {
    await work(client, job, result)
  } catch (error) {
    result.outcome = 'failed'
    result.error = error instanceof AwsCallError ? error.message : String(error)
    core.error(`${job.region}: ${result.error}`)
  } finally {
    client.destroy()
  }
  return result
}

async function work(client: LambdaClient, job: RegionJob, result: RegionResult): Promise<void> {
  const { region, inputs, layer, desired } = job
  const LayerName = inputs.layerName
  const lambda = (operation: string) => ({ service: 'lambda' as const, operation, region })
  const log = (line: string) => core.info(`${inputs.dryRun ? '[dry run] ' : ''}${region}: ${line}`)

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
    result.layerArn = newestDetails?.LayerArn
    result.versionArn = newest?.versionArn
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
    const published = await withContent(job, (Content) =>
      awsCall(lambda('PublishLayerVersion'), () =>
        client.send(
          new PublishLayerVersionCommand({
            LayerName,
            Content,
            Description: desired.description,
            LicenseInfo: desired.licenseInfo,
            CompatibleRuntimes: desired.compatibleRuntimes as Runtime[],
            CompatibleArchitectures: desired.compatibleArchitectures,
          }),
        ),
      ),
    )
    result.layerArn = published.LayerArn
    result.versionArn = published.LayerVersionArn
    result.version = published.Version
    if (published.Content?.CodeSha256 !== layer.codeSha256) {
      core.warning(
        `${region}: Lambda reports CodeSha256 ${published.Content?.CodeSha256}, the zip has ${layer.codeSha256}`,
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

async function listVersions(client: LambdaClient, LayerName: string): Promise<ExistingVersion[]> {
  const versions: ExistingVersion[] = []
  try {
    for await (const page of paginateListLayerVersions({ client }, { LayerName })) {
      for (const item of page.LayerVersions ?? []) {
        if (item.Version === undefined || item.LayerVersionArn === undefined) continue
        versions.push({
          version: item.Version,
          versionArn: item.LayerVersionArn,
          metadata: {
            description: item.Description ?? '',
            licenseInfo: item.LicenseInfo ?? '',
            compatibleRuntimes: item.CompatibleRuntimes ?? [],
            compatibleArchitectures: (item.CompatibleArchitectures ?? []) as Architecture[],
          },
        })
      }
    }
  } catch (error) {
    // A layer that was never published is simply empty.
    if ((error as Error).name !== 'ResourceNotFoundException') throw error
  }
  return versions
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
    },
    use,
  )
}

export function describeGrant(grant: Grant): string {
  if (grant.organizationId) return `organization ${grant.organizationId}`
  return grant.principal === '*' ? 'everyone (*)' : `account ${grant.principal}`
}
