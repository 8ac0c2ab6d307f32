import * as core from '@actions/core'
import {
  GetLayerVersionCommand,
  type LambdaClient,
  type LayerVersionContentInput,
  PublishLayerVersionCommand,
  paginateListLayerVersions,
  type Runtime,
} from '@aws-sdk/client-lambda'
import type { Architecture } from '../common/types.js'
import { neutralise } from '../common/untrusted.js'
import { type AwsCallError, awsCall, type CallContext } from './errors.js'
import { type ExistingVersion, type LayerMetadata, metadataDifferences } from './plan.js'

/** What PublishLayerVersion and GetLayerVersion both answer about a version. */
export interface StoredVersion {
  LayerArn?: string
  LayerVersionArn?: string
  Version?: number
  Content?: { CodeSha256?: string }
}

export interface PublishRequest {
  /** The region's usual client, for the look-ups between attempts. */
  client: LambdaClient
  /** A client with the SDK's retries off: this module retries PublishLayerVersion itself. */
  publishClient: LambdaClient
  region: string
  layerName: string
  content: LayerVersionContentInput
  desired: LayerMetadata
  codeSha256: string
  /** The newest version number before the first attempt (0 for none). */
  baseline: number
}

/** Every version of the layer, each page of the listing followed; none when it does not exist. */
export async function listVersions(
  client: LambdaClient,
  LayerName: string,
): Promise<ExistingVersion[]> {
  const versions: ExistingVersion[] = []
  try {
    for await (const page of paginateListLayerVersions({ client }, { LayerName })) {
      for (const item of page.LayerVersions ?? []) {
        if (item.Version === undefined || item.LayerVersionArn === undefined) continue
        versions.push({
          version: item.Version,
          versionArn: item.LayerVersionArn,
          metadata: {
            description: item.Description ?? '',
            licenseInfo: item.LicenseInfo ?? '',
            compatibleRuntimes: item.CompatibleRuntimes ?? [],
            compatibleArchitectures: (item.CompatibleArchitectures ?? []) as Architecture[],
          },
        })
      }
    }
  } catch (error) {
    // A layer that was never published is simply empty.
    if ((error as Error).name !== 'ResourceNotFoundException') throw error
  }
  return versions
}

/**
 * PublishLayerVersion, retried without ever making a duplicate. A failure can come
 * after Lambda stored the version (a 503 or a timeout on the reply), so the SDK's own
 * retry would publish it twice. Here each failed attempt that may be retried is
 * followed by a look for a version stored since the first attempt with this zip and
 * this metadata; one found is adopted, else the call is retried, as often as the SDK
 * would have (AWS_MAX_ATTEMPTS, 3 by default).
 */
export async function publishVersion(request: PublishRequest): Promise<StoredVersion> {
  const context = {
    service: 'lambda' as const,
    operation: 'PublishLayerVersion',
    region: request.region,
  }
  const attempts = await request.client.config.maxAttempts()
  for (let attempt = 1; ; attempt++) {
    try {
      return await awsCall(context, () => request.publishClient.send(publishCommand(request)))
    } catch (error) {
      const cause = (error as AwsCallError).cause
      if (!isRetryable(cause)) throw error
      const stored = await storedSince(request)
      if (stored) {
        core.info(
          neutralise(
            `${request.region}: ${(error as Error).message}; Lambda had stored version ` +
              `${stored.Version} all the same: adopting it rather than publishing again`,
          ),
        )
        return stored
      }
      if (attempt >= attempts) throw error
      await pause(backoff(attempt))
    }
  }
}

function publishCommand(request: PublishRequest): PublishLayerVersionCommand {
  const { layerName, content, desired } = request
  return new PublishLayerVersionCommand({
    LayerName: layerName,
    Content: content,
    Description: desired.description,
    LicenseInfo: desired.licenseInfo,
    CompatibleRuntimes: desired.compatibleRuntimes as Runtime[],
    CompatibleArchitectures: desired.compatibleArchitectures,
  })
}

/** The newest version above the baseline holding this zip and this metadata, if any. */
async function storedSince(request: PublishRequest): Promise<StoredVersion | undefined> {
  const { client, region, layerName: LayerName } = request
  const lambda = (operation: string): CallContext => ({ service: 'lambda', operation, region })
  const candidates = (
    await awsCall(lambda('ListLayerVersions'), () => listVersions(client, LayerName))
  )
    .filter((v) => v.version > request.baseline)
    .filter((v) => metadataDifferences(v.metadata, request.desired).length === 0)
    .sort((a, b) => b.version - a.version)
  for (const candidate of candidates) {
    const details = await awsCall(lambda('GetLayerVersion'), () =>
      client.send(new GetLayerVersionCommand({ LayerName, VersionNumber: candidate.version })),
    )
    if (details.Content?.CodeSha256 === request.codeSha256) return details
  }
  return undefined
}

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling'])
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'])

/** The failures the SDK itself retries: throttling, 5xx, timeouts and broken connections. */
function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string
    code?: string
    $retryable?: unknown
    $metadata?: { httpStatusCode?: number }
  }
  const status = e.$metadata?.httpStatusCode ?? 0
  return (
    e.$retryable !== undefined ||
    status >= 500 ||
    status === 429 ||
    e.name === 'TimeoutError' ||
    THROTTLING.has(e.name ?? '') ||
    NETWORK.has(e.code ?? '')
  )
}

/** The SDK's schedule: exponential from 100 ms, full jitter, at most 20 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(20_000, 100 * 2 ** attempt)
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
