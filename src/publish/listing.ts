import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda'
import { lambdaCall, type RegionJob } from './job.js'
import { newestVersion, type PublishDecision, type RegionListing } from './plan.js'
import { listVersions } from './publish-version.js'
import { type Grant, grantFor, missingGrants } from './sharing.js'

/**
 * The versions the region holds, and the newest one's details when skip-unchanged may
 * keep it (nothing else needs them, so nothing else pays for the call).
 */
export async function listRegion(client: LambdaClient, job: RegionJob): Promise<RegionListing> {
  const LayerName = job.inputs.layerName
  const existing = await lambdaCall(job, 'ListLayerVersions', () => listVersions(client, LayerName))
  const newest = newestVersion(existing)
  const details =
    newest && job.inputs.skipUnchanged
      ? await lambdaCall(job, 'GetLayerVersion', () =>
          client.send(new GetLayerVersionCommand({ LayerName, VersionNumber: newest.version })),
        )
      : undefined
  return {
    existing,
    newest,
    newestLayerArn: details?.LayerArn,
    newestCodeSha256: details?.Content?.CodeSha256,
  }
}

/** The grants to make: every one asked for on a new version, the missing ones on a kept one. */
export async function grantsWanted(
  client: LambdaClient,
  job: RegionJob,
  decision: PublishDecision,
): Promise<Grant[]> {
  if (decision.action === 'publish') return job.inputs.shareWith.map(grantFor)
  return grantsStillMissing(client, job, decision.version)
}

async function grantsStillMissing(
  client: LambdaClient,
  job: RegionJob,
  version: number,
): Promise<Grant[]> {
  if (job.inputs.shareWith.length === 0) return []
  const policy = await lambdaCall(job, 'GetLayerVersionPolicy', async () => {
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
