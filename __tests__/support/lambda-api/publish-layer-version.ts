import { createHash } from 'node:crypto'
import {
  type Answer,
  ApiError,
  fullVersion,
  type LayerRequest,
  type StoredVersion,
} from './model.js'

const DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024

// Lambda writes dates as 2018-11-27T15:10:45.123+0000.
function lambdaDate(): string {
  return new Date().toISOString().replace('Z', '+0000')
}

function isZip(bytes: Buffer): boolean {
  const magic = bytes.subarray(0, 4).toString('binary')
  return magic === 'PK\x03\x04' || magic === 'PK\x05\x06'
}

/** Counts one down from `counts` for `region`; true while any were left. */
function takeOne(counts: Map<string, number>, region: string): boolean {
  const left = counts.get(region) ?? 0
  if (left > 0) counts.set(region, left - 1)
  return left > 0
}

/** The zip from `Content`: inline (ZipFile, base64) or an S3 object the fake S3 holds. */
function contentZip(request: LayerRequest): Buffer {
  const content = (request.body.Content ?? {}) as Record<string, string>
  if (content.ZipFile !== undefined) {
    const zip = Buffer.from(content.ZipFile, 'base64')
    if (zip.length > DIRECT_UPLOAD_LIMIT) {
      throw new ApiError(
        413,
        'RequestEntityTooLargeException',
        'Request must be smaller than 69905067 bytes for the PublishLayerVersion operation',
      )
    }
    return zip
  }
  if (content.S3Bucket && content.S3Key) {
    const zip = request.options.s3Object?.(request.region, content.S3Bucket, content.S3Key)
    if (!zip) {
      throw new ApiError(
        400,
        'InvalidParameterValueException',
        `Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.`,
      )
    }
    return zip
  }
  throw new ApiError(
    400,
    'InvalidParameterValueException',
    'Please provide a source for the layer content.',
  )
}

/** POST /layers/{name}/versions: stores the next version, 201 with it in full. */
export function publishLayerVersion(request: LayerRequest): Answer {
  const { region, layer, layerArn, body, misbehaviour } = request
  const zip = contentZip(request)
  if (!isZip(zip)) {
    throw new ApiError(
      400,
      'InvalidParameterValueException',
      'Could not unzip uploaded file. Please check your file, then try to upload again.',
    )
  }
  const description = String(body.Description ?? '')
  if (description.length > 256) {
    throw new ApiError(
      400,
      'ValidationException',
      "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
    )
  }
  if (takeOne(misbehaviour.refusals, region)) {
    throw new ApiError(503, 'ServiceException', 'The service is unavailable.')
  }
  const number = layer.nextVersion++
  const stored: StoredVersion = {
    version: number,
    arn: `${layerArn}:${number}`,
    description,
    licenseInfo: String(body.LicenseInfo ?? ''),
    compatibleRuntimes: (body.CompatibleRuntimes as string[] | undefined) ?? [],
    compatibleArchitectures: (body.CompatibleArchitectures as string[] | undefined) ?? [],
    codeSha256: createHash('sha256').update(zip).digest('base64'),
    codeSize: zip.length,
    createdDate: lambdaDate(),
    statements: [],
  }
  layer.versions.set(number, stored)
  if (takeOne(misbehaviour.lostReplies, region)) {
    throw new ApiError(503, 'ServiceException', 'The service is unavailable (reply lost).')
  }
  return { status: 201, json: fullVersion(request, stored) }
}
