import * as core from '@actions/core'
import { neutralise } from '../common/untrusted.js'
import type { RegionJob, RegionResult } from './job.js'
import type { RegionPlan } from './plan.js'
import type { Grant } from './sharing.js'

export function describeGrant(grant: Grant): string {
  if (grant.organizationId) return `organization ${grant.organizationId}`
  return grant.principal === '*' ? 'everyone (*)' : `account ${grant.principal}`
}

/** Writes one line of a region's log, prefixed with the region (and the dry run, in one). */
export function regionLog(job: RegionJob): (line: string) => void {
  const prefix = `${job.inputs.dryRun ? '[dry run] ' : ''}${job.region}: `
  // Names and ARNs in the line came from inputs or the service.
  return (line) => core.info(neutralise(`${prefix}${line}`))
}

/** A dry run's lines: what would be published or kept, granted, and deleted, in that order. */
export function dryRunLines(
  layerName: string,
  plan: RegionPlan,
  grants: readonly Grant[],
  kept: Pick<RegionResult, 'version' | 'versionArn'>,
): string[] {
  const { decision, prune } = plan
  return [
    decision.action === 'publish'
      ? `would publish a new version of ${layerName}: ${decision.reason}`
      : `would keep unchanged version ${kept.version} (${kept.versionArn})`,
    ...grants.map((grant) => `would grant lambda:GetLayerVersion to ${describeGrant(grant)}`),
    ...prune.map((version) => `would delete version ${version}`),
  ]
}

/** Ends a dry run: the result says what would happen, and the log lists it; nothing is changed. */
export function reportDryRun(
  job: RegionJob,
  plan: RegionPlan,
  grants: Grant[],
  result: RegionResult,
): void {
  result.outcome = plan.decision.action === 'publish' ? 'would-publish' : 'would-keep'
  result.pruned = plan.prune
  result.granted = grants.map(describeGrant)
  const log = regionLog(job)
  for (const line of dryRunLines(job.inputs.layerName, plan, grants, result)) log(line)
}
