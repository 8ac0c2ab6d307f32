import { randomUUID } from 'node:crypto'
import * as core from '@actions/core'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { neutralise } from '../common/untrusted.js'
import { maskResolvedCredentials, s3Client } from './clients.js'
import { awsCall } from './errors.js'
import type { AwsTimeouts } from './inputs.js'

export interface S3Location {
  S3Bucket: string
  S3Key: string
}

/**
 * Puts the zip in a temporary S3 object for Lambda to read, runs `use`, then deletes
 * the object whether or not `use` succeeded.
 */
export async function withTemporaryS3Object<T>(
  options: {
    region: string
    bucket: string
    layerName: string
    zip: Buffer
    sha256: string
    timeouts: AwsTimeouts
  },
  use: (location: S3Location) => Promise<T>,
): Promise<T> {
  const { region, bucket, layerName, zip, sha256, timeouts } = options
  // A random part keeps two concurrent jobs with the same zip from deleting each other's object.
  const key = `picolisp-lambda-action/${layerName}/${sha256}-${randomUUID()}.zip`
  const s3 = s3Client(region, timeouts)
  try {
    await maskResolvedCredentials(s3)
    await awsCall({ service: 's3', operation: 'PutObject', region }, () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip })),
    )
    try {
      return await use({ S3Bucket: bucket, S3Key: key })
    } finally {
      await awsCall({ service: 's3', operation: 'DeleteObject', region }, () =>
        s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
      ).catch((error: Error) => {
        core.warning(
          neutralise(
            `${region}: could not delete temporary s3://${bucket}/${key}: ${error.message}`,
          ),
        )
      })
    }
  } finally {
    s3.destroy()
  }
}
