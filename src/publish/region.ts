import * as core from '@actions/core'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import { neutralise } from '../common/untrusted.js'
import { applyPlan } from './apply.js'
import { lambdaClient, maskResolvedCredentials } from './clients.js'
import { type RegionJob, type RegionResult, recordVersion } from './job.js'
import { grantsWanted, listRegion } from './listing.js'
import { planRegion } from './plan.js'
import { reportDryRun } from './report.js'

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

/** List what the region holds, plan, then either report the plan (dry run) or apply it. */
async function work(client: LambdaClient, job: RegionJob, result: RegionResult): Promise<void> {
  const listing = await listRegion(client, job)
  const plan = planRegion(listing, job.inputs, job.desired, job.layer.codeSha256)
  const { decision, newest } = plan
  if (decision.action === 'publish') {
    result.reason = decision.reason
  } else {
    recordVersion(result, {
      layerArn: listing.newestLayerArn,
      versionArn: newest?.versionArn,
      version: newest?.version,
    })
  }
  const grants = await grantsWanted(client, job, decision)
  if (job.inputs.dryRun) reportDryRun(job, plan, grants, result)
  else await applyPlan(client, job, plan, grants, result)
}
