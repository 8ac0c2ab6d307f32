import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda'
import { awsCall } from './errors.js'
import type { RegionJob } from './job.js'
import { newestVersion, type RegionListing } from './plan.js'
import { listVersions } from './publish-version.js'
import { type Grant, missingGrants } from './sharing.js'

/**
 * The versions the region holds, and the newest one's details when skip-unchanged may
 * keep it (nothing else needs them, so nothing else pays for the call).
 */
export async function listRegion(client: LambdaClient, job: RegionJob): Promise<RegionListing> {
  const { region, inputs } = job
  const LayerName = inputs.layerName
  const lambda = (operation: string) => ({ service: 'lambda' as const, operation, region })
  const existing = await awsCall(lambda('ListLayerVersions'), () => listVersions(client, LayerName))
  const newest = newestVersion(existing)
  const details =
    newest && inputs.skipUnchanged
      ? await awsCall(lambda('GetLayerVersion'), () =>
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

export async function grantsStillMissing(
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
