import * as core from '@actions/core'
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import type { AwsTimeouts } from './inputs.js'

/**
 * Options every AWS client gets; without them the SDK waits forever on an endpoint that
 * accepts the connection and never answers. In @smithy/node-http-handler (4.x):
 * `connectionTimeout` bounds opening the connection; `socketTimeout` is an idle timeout
 * (Node's socket timeout, which does not fire while a write is still draining), so a
 * slow 50 MB upload runs as long as bytes flow. `requestTimeout` is left unset: it runs
 * from the request until the response headers, across the whole upload, and only warns
 * unless `throwOnRequestTimeout` is set. No endpoint is fixed here:
 * AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_S3 and profiles apply as for the AWS CLI.
 */
function clientOptions(region: string, timeouts: AwsTimeouts) {
  return {
    region,
    requestHandler: {
      connectionTimeout: timeouts.connect * 1000,
      socketTimeout: timeouts.idle * 1000,
    },
  }
}

export function lambdaClient(
  region: string,
  timeouts: AwsTimeouts,
  extra: Pick<LambdaClientConfig, 'maxAttempts' | 'credentials'> = {},
): LambdaClient {
  return new LambdaClient({ ...clientOptions(region, timeouts), ...extra })
}

export function s3Client(region: string, timeouts: AwsTimeouts): S3Client {
  return new S3Client(clientOptions(region, timeouts))
}

/** Variables holding secrets the SDK sends or signs with (AWS_SECURITY_TOKEN: the old name). */
const SECRET_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']

/**
 * Registers the AWS secrets in the environment with the runner's masking, so that an
 * endpoint echoing request headers (the session token travels in one) in an error
 * cannot put them in the log or the job summary.
 */
export function maskAwsSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_VARIABLES) {
    const value = env[name]?.trim()
    if (value) core.setSecret(value)
  }
}

/**
 * The same for credentials the SDK finds elsewhere (a profile, a web identity role):
 * resolved once per client, which caches them for its calls. A failure is left to
 * the first call, which explains it.
 */
export async function maskResolvedCredentials(client: LambdaClient | S3Client): Promise<void> {
  try {
    const credentials = await client.config.credentials()
    for (const value of [credentials.secretAccessKey, credentials.sessionToken]) {
      if (value) core.setSecret(value)
    }
  } catch {
    // No credentials: ListLayerVersions will fail and say how to give some.
  }
}
