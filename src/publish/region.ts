import * as core from '@actions/core'
import { DeleteLayerVersionCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { neutralise } from '../common/untrusted.js'
import { addGrant, withContent } from './apply.js'
import { lambdaClient, maskResolvedCredentials } from './clients.js'
import { awsCall } from './errors.js'
import {
  checkedArn,
  LAYER_ARN,
  LAYER_VERSION_ARN,
  type RegionJob,
  type RegionResult,
} from './job.js'
import { grantsStillMissing, listRegion } from './listing.js'
import { planRegion } from './plan.js'
import { publishVersion } from './publish-version.js'
import { describeGrant, regionLog, reportDryRun } from './report.js'
import { type Grant, grantFor } from './sharing.js'

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

async function work(client: LambdaClient, job: RegionJob, result: RegionResult): Promise<void> {
  const { region, inputs, layer, desired } = job
  const LayerName = inputs.layerName
  const lambda = (operation: string) => ({ service: 'lambda' as const, operation, region })
  const log = regionLog(job)

  const listing = await listRegion(client, job)
  const plan = planRegion(listing, inputs, desired, layer.codeSha256)
  const { decision, newest, prune } = plan
  const publishing = decision.action === 'publish'

  let grants: Grant[]
  if (publishing) {
    result.reason = decision.reason
    grants = inputs.shareWith.map(grantFor)
  } else {
    result.layerArn = checkedArn(listing.newestLayerArn, LAYER_ARN, 'layer ARN')
    result.versionArn = checkedArn(newest?.versionArn, LAYER_VERSION_ARN, 'layer version ARN')
    result.version = newest?.version
    grants = await grantsStillMissing(client, job, decision.version)
  }

  if (inputs.dryRun) {
    reportDryRun(job, plan, grants, result)
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
