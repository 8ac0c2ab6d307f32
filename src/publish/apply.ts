import {
  AddLayerVersionPermissionCommand,
  type LambdaClient,
  type LayerVersionContentInput,
} from '@aws-sdk/client-lambda'
import { DIRECT_UPLOAD_LIMIT } from '../common/lambda-limits.js'
import { awsCall } from './errors.js'
import { bucketForRegion } from './inputs.js'
import type { RegionJob } from './job.js'
import { withTemporaryS3Object } from './s3-upload.js'
import type { Grant } from './sharing.js'

export async function addGrant(
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
export function withContent<T>(
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
