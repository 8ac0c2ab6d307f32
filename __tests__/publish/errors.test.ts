import {
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CallContext, describeAwsError } from '../../src/publish/errors.js'
import {
  AWS_ENV_TO_CLEAR,
  FAKE_CREDENTIALS,
  fakeAwsEnv,
  type LambdaApi,
  startLambdaApi,
} from '../support/lambda-api-server.js'

// Error translation, fed with the errors the real SDK raises against the local Lambda API.

const savedEnv = { ...process.env }
let api: LambdaApi
const list: CallContext = { service: 'lambda', operation: 'ListLayerVersions', region: 'us-east-1' }

async function errorFrom(client: LambdaClient, LayerName = 'picolisp'): Promise<unknown> {
  try {
    await client.send(new ListLayerVersionsCommand({ LayerName }))
  } catch (error) {
    return error
  } finally {
    client.destroy()
  }
  throw new Error('the call succeeded')
}

beforeAll(async () => {
  api = await startLambdaApi()
  for (const name of AWS_ENV_TO_CLEAR) delete process.env[name]
  Object.assign(process.env, fakeAwsEnv(api.url))
})

afterAll(async () => {
  process.env = savedEnv
  await api.close()
})

describe('describeAwsError', () => {
  it('points at configure-aws-credentials when the default chain finds nothing', async () => {
    // The SDK's default chain, with nothing to find: no keys, no files, no metadata service.
    delete process.env.AWS_ACCESS_KEY_ID
    const error = await errorFrom(new LambdaClient({ region: 'us-east-1' }))
    process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId
    expect((error as Error).name).toBe('CredentialsProviderError')
    expect(describeAwsError(error, list)).toMatch(
      /^no AWS credentials found.*aws-actions\/configure-aws-credentials/,
    )
  })

  it('names the IAM action a denied call needs', async () => {
    api.deny('eu-west-1', 'ListLayerVersions')
    const error = await errorFrom(new LambdaClient({ region: 'eu-west-1' }))
    expect((error as Error).name).toBe('AccessDeniedException')
    expect(describeAwsError(error, { ...list, region: 'eu-west-1' })).toMatch(
      /^access denied: the role is missing the IAM permission lambda:ListLayerVersions \(User: /,
    )
  })

  it('falls back to the operation when the message does not name the action', () => {
    const error = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
    expect(
      describeAwsError(error, { service: 's3', operation: 'PutObject', region: 'us-east-1' }),
    ).toMatch(/missing the IAM permission s3:PutObject/)
  })

  it('says the credentials were rejected when the key is unknown or the secret wrong', async () => {
    const unknownKey = await errorFrom(
      new LambdaClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIANOTKNOWN', secretAccessKey: 'x' },
      }),
    )
    expect(describeAwsError(unknownKey, list)).toMatch(
      /^AWS rejected the credentials \(UnrecognizedClientException\)/,
    )
    const wrongSecret = await errorFrom(
      new LambdaClient({
        region: 'us-east-1',
        credentials: {
          accessKeyId: FAKE_CREDENTIALS.accessKeyId,
          secretAccessKey: 'not-the-secret',
        },
      }),
    )
    expect(describeAwsError(wrongSecret, list)).toMatch(
      /^AWS rejected the credentials \(InvalidSignatureException\)/,
    )
  })

  it('recognizes an unknown region, from the service or from DNS', async () => {
    const error = await errorFrom(new LambdaClient({ region: 'xx-nowhere-9' }))
    expect(describeAwsError(error, { ...list, region: 'xx-nowhere-9' })).toMatch(
      /^unknown region xx-nowhere-9: /,
    )
    // What Node raises when lambda.<region>.amazonaws.com does not resolve.
    const dns = Object.assign(
      new Error('getaddrinfo ENOTFOUND lambda.xx-nowhere-9.amazonaws.com'),
      {
        code: 'ENOTFOUND',
        hostname: 'lambda.xx-nowhere-9.amazonaws.com',
      },
    )
    expect(describeAwsError(dns, { ...list, region: 'xx-nowhere-9' })).toMatch(
      /^unknown region xx-nowhere-9 \(lambda\.xx-nowhere-9\.amazonaws\.com does not resolve\)/,
    )
  })

  it('explains a layer name the service rejects', async () => {
    const error = await errorFrom(new LambdaClient({ region: 'us-east-1' }), 'no spaces allowed')
    expect((error as Error).name).toBe('ValidationException')
    expect(describeAwsError(error, list)).toMatch(
      /^Lambda rejected the layer name \(ValidationException\): .*layerName/,
    )
  })

  it('explains a zip over the limits', async () => {
    const lambda = new LambdaClient({ region: 'us-east-1' })
    const tooBig = Buffer.alloc(50 * 1024 * 1024 + 1)
    const error = await lambda
      .send(new PublishLayerVersionCommand({ LayerName: 'picolisp', Content: { ZipFile: tooBig } }))
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    lambda.destroy()
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(413)
    expect(describeAwsError(error, { ...list, operation: 'PublishLayerVersion' })).toMatch(
      /^the layer zip is over Lambda's limits .*use s3-bucket/,
    )
    const unzipped = Object.assign(
      new Error('Unzipped size must be smaller than 262144000 bytes'),
      {
        name: 'InvalidParameterValueException',
      },
    )
    expect(describeAwsError(unzipped, list)).toMatch(/250 MB unzipped/)
  })

  // The two messages of @smithy/node-http-handler 4.x, as it words them; the idle one is
  // also met for real in layer.test.ts, against an endpoint that never answers.
  it('names the input behind each timeout', () => {
    const timeout = (message: string) =>
      Object.assign(new Error(`@smithy/node-http-handler - ${message}`), { name: 'TimeoutError' })
    const connect = timeout(
      'the request socket did not establish a connection with the server within the configured timeout of 30000 ms.',
    )
    expect(describeAwsError(connect, list)).toBe(
      "lambda:ListLayerVersions timed out: could not connect within 30 s (input 'aws-connect-timeout')",
    )
    const idle = timeout(
      'the request socket timed out after 1500 ms of inactivity (configured by client requestHandler).',
    )
    expect(describeAwsError(idle, list)).toBe(
      "lambda:ListLayerVersions timed out: no answer for 1.5 s (input 'aws-idle-timeout')",
    )
  })

  it("keeps the service's words for anything else, naming the call", () => {
    const error = Object.assign(new Error('boom'), { name: 'ServiceException' })
    expect(describeAwsError(error, list)).toBe(
      'lambda:ListLayerVersions failed: ServiceException: boom',
    )
  })
})
