/** Which call failed: enough to name the IAM action a denied request needs. */
export interface CallContext {
  service: 'lambda' | 's3'
  /** The API operation, which is also the IAM action's name, e.g. PublishLayerVersion. */
  operation: string
  region: string
}

/** A failed AWS call, already explained for humans; the raw error stays in `cause`. */
export class AwsCallError extends Error {
  constructor(
    readonly context: CallContext,
    cause: unknown,
  ) {
    super(describeAwsError(cause, context), { cause })
    this.name = 'AwsCallError'
  }
}

/** Runs one AWS call and turns its failure into an AwsCallError naming the call. */
export async function awsCall<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new AwsCallError(context, error)
  }
}

interface ErrorFields {
  name: string
  message: string
  code?: string
  hostname?: string
  status?: number
}

function fieldsOf(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const e = error as Error & {
    code?: string
    hostname?: string
    $metadata?: { httpStatusCode?: number }
  }
  return {
    name: e.name,
    message: e.message,
    code: e.code,
    hostname: e.hostname,
    status: e.$metadata?.httpStatusCode,
  }
}

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'AccessDeniedError'])
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
])

/**
 * Says what went wrong and what to do about it, for the errors users actually meet:
 * missing or rejected credentials, a missing IAM permission, an unknown region, a layer
 * name the service refuses, a zip over Lambda's limits. Anything else keeps the
 * service's own words. Messages never include credentials: the SDK does not put them
 * in errors, and nothing here reads them.
 */
export function describeAwsError(error: unknown, context: CallContext): string {
  const { name, message, code, hostname, status } = fieldsOf(error)
  const action = `${context.service}:${context.operation}`

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return (
      'no AWS credentials found. Give the job credentials before this step, e.g. with ' +
      'aws-actions/configure-aws-credentials (an OIDC role needs `permissions: id-token: write`)'
    )
  }
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(message)) {
    const named = /not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z]+)/i.exec(message)?.[1]
    return `access denied: the role is missing the IAM permission ${named ?? action} (${message})`
  }
  if (
    code === 'ENOTFOUND' ||
    name === 'UnknownEndpoint' ||
    /scoped to a valid region|unknown region|region .* is not (valid|supported)/i.test(message)
  ) {
    const where = hostname ? ` (${hostname} does not resolve)` : ''
    return (
      `unknown region ${context.region}${where}: check the region code, and that the region ` +
      `is enabled for the account. ${message}`
    )
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return `AWS rejected the credentials (${name}): they are invalid or expired. ${message}`
  }
  if (
    name === 'RequestEntityTooLargeException' ||
    name === 'RequestTooLargeException' ||
    status === 413 ||
    /unzipped size|zipped size|too large|exceeds the maximum/i.test(message)
  ) {
    return (
      "the layer zip is over Lambda's limits (50 MB zipped for a direct upload, use s3-bucket " +
      `above that; 250 MB unzipped for a function and all its layers): ${message}`
    )
  }
  if (
    (name === 'ValidationException' || name === 'InvalidParameterValueException') &&
    /layer ?name/i.test(message)
  ) {
    return `Lambda rejected the layer name (${name}): ${message}`
  }
  if (name === 'TimeoutError') return describeTimeout(action, message)
  if (name === 'TooManyRequestsException' || name === 'ThrottlingException') {
    return `still throttled by Lambda after the SDK's retries (${name}): ${message}; try again later`
  }
  return `${action} failed: ${name}: ${message}`
}

/** The SDK's two timeouts (see clients.ts) say their limit in ms; name the input that sets it. */
function describeTimeout(action: string, message: string): string {
  const ms = /(\d+) ?ms/.exec(message)?.[1]
  const seconds = ms === undefined ? '' : ` ${Number(ms) / 1000} s`
  if (/establish a connection/i.test(message)) {
    return `${action} timed out: could not connect within${seconds} (input 'aws-connect-timeout')`
  }
  if (/inactivity/i.test(message)) {
    return `${action} timed out: no answer for${seconds} (input 'aws-idle-timeout')`
  }
  return `${action} timed out: ${message}`
}
