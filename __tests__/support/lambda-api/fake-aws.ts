/** Credentials the fake services accept; shaped like AWS's documentation examples, worthless anywhere else. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
}
export const FAKE_ACCOUNT = '123456789012'
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-southeast-2',
]

/**
 * Environment that points the real SDK at the fake services and nowhere else: fake
 * keys, endpoint overrides, no shared config files, and no instance-metadata lookups
 * (which would leave the loopback interface).
 */
export function fakeAwsEnv(lambdaUrl: string, s3Url?: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
    AWS_ENDPOINT_URL_S3: s3Url ?? lambdaUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_MAX_ATTEMPTS: '2',
  }
}

/** Variables that could steer the SDK to real AWS or real credentials; tests remove them. */
export const AWS_ENV_TO_CLEAR = [
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
]
