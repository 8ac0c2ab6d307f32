import { GetLayerVersionPolicyCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { awsCall } from './errors.js'
import type { RegionJob } from './job.js'
import { type Grant, missingGrants } from './sharing.js'

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
