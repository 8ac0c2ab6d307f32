import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  type LambdaClient,
  type LayerVersionContentInput,
} from '@aws-sdk/client-lambda'
import { DIRECT_UPLOAD_LIMIT } from '../common/lambda-limits.js'
import { lambdaClient } from './clients.js'
import { bucketForRegion } from './inputs.js'
import { lambdaCall, type RegionJob, type RegionResult, recordVersion } from './job.js'
import type { RegionPlan } from './plan.js'
import { publishVersion } from './publish-version.js'
import { describeGrant, regionLog } from './report.js'
import { withTemporaryS3Object } from './s3-upload.js'
import type { Grant } from './sharing.js'

/**
 * Carries out a region's plan: publishes (or keeps) a version, grants, then prunes.
 * Each step is written into `result` as it succeeds, so a failure halfway still
 * reports what was done.
 */
export async function applyPlan(
  client: LambdaClient,
  job: RegionJob,
  plan: RegionPlan,
  grants: readonly Grant[],
  result: RegionResult,
): Promise<void> {
  const log = regionLog(job)
  const LayerName = job.inputs.layerName
  if (plan.decision.action === 'publish') {
    await publishNew(client, job, plan.decision.reason, plan.newest?.version ?? 0, result)
  } else {
    log(`unchanged: keeping version ${result.version} (${result.versionArn})`)
  }

  const version = result.version as number
  for (const grant of grants) {
    await addGrant(client, job, version, grant)
    result.granted.push(describeGrant(grant))
    log(`granted lambda:GetLayerVersion to ${describeGrant(grant)}`)
  }
  for (const old of plan.prune) {
    await lambdaCall(job, 'DeleteLayerVersion', () =>
      client.send(new DeleteLayerVersionCommand({ LayerName, VersionNumber: old })),
    )
    result.pruned.push(old)
    log(`deleted version ${old}`)
  }
  result.outcome = plan.decision.action === 'publish' ? 'published' : 'unchanged'
}

/** Publishes the zip as a new version; `baseline` is the newest before it (0 for none). */
async function publishNew(
  client: LambdaClient,
  job: RegionJob,
  reason: string,
  baseline: number,
  result: RegionResult,
): Promise<void> {
  const { region, inputs, layer, desired } = job
  const log = regionLog(job)
  log(`publishing ${inputs.layerName}: ${reason}`)
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
      layerName: inputs.layerName,
      content,
      desired,
      codeSha256: layer.codeSha256,
      baseline,
    }),
  ).finally(() => publishClient.destroy())
  recordVersion(result, {
    layerArn: published.LayerArn,
    versionArn: published.LayerVersionArn,
    version: published.Version,
  })
  const stored = published.Content?.CodeSha256
  if (stored !== layer.codeSha256) {
    // Not the layer that was built: nothing may use it as if it were.
    throw new Error(
      `Lambda stored version ${result.version} (${result.versionArn}) with CodeSha256 ` +
        `${stored}, but the zip built has ${layer.codeSha256}: the stored layer is not the one built`,
    )
  }
  log(`published version ${result.version} (${result.versionArn})`)
}

async function addGrant(
  client: LambdaClient,
  job: RegionJob,
  VersionNumber: number,
  grant: Grant,
): Promise<void> {
  await lambdaCall(job, 'AddLayerVersionPermission', async () => {
    try {
      await client.send(
        new AddLayerVersionPermissionCommand({
          LayerName: job.inputs.layerName,
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
