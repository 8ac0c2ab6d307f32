import { LambdaClient } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import type { AwsTimeouts } from './inputs.js'

/**
 * Options every AWS client gets. Without them the SDK waits forever on an endpoint
 * that accepts the connection and never answers. `socketTimeout` is the SDK's idle
 * timeout (Node's socket timeout, which a write still draining does not trip), so a
 * slow 50 MB upload runs as long as bytes flow; `requestTimeout`, a cap on the whole
 * call, is left unset for the same reason. No endpoint is fixed here:
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
  extra: { maxAttempts?: number } = {},
): LambdaClient {
  return new LambdaClient({ ...clientOptions(region, timeouts), ...extra })
}

export function s3Client(region: string, timeouts: AwsTimeouts): S3Client {
  return new S3Client(clientOptions(region, timeouts))
}
