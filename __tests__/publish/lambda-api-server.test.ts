import { LambdaClient, ListLayerVersionsCommand } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_CREDENTIALS, type LambdaApi, startLambdaApi } from '../support/lambda-api-server.js'

// The local Lambda API must refuse what AWS refuses, or the publish tests prove nothing.

let api: LambdaApi

beforeAll(async () => {
  api = await startLambdaApi()
})
afterAll(async () => {
  await api.close()
})

/** A client for the fake whose signed request `tamper` may change before it is sent. */
function client(tamper?: (headers: Record<string, string>) => void): LambdaClient {
  const lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: api.url,
    credentials: FAKE_CREDENTIALS,
  })
  if (tamper) {
    const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      tamper((args as { request: { headers: Record<string, string> } }).request.headers)
      return next(args)
    }
    lambda.middlewareStack.addRelativeTo(middleware as never, {
      relation: 'after',
      toMiddleware: 'httpSigningMiddleware',
      name: 'tamper',
    })
  }
  return lambda
}

async function failure(
  lambda: LambdaClient,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await lambda.send(new ListLayerVersionsCommand({ LayerName: 'picolisp' }))
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } }
  }
  throw new Error('the fake accepted the request')
}

describe('the local Lambda API', () => {
  it('accepts a correctly signed request', async () => {
    const answer = await client().send(new ListLayerVersionsCommand({ LayerName: 'picolisp' }))
    expect(answer.LayerVersions).toEqual([])
  })

  it('refuses a request without a signature', async () => {
    const error = await failure(client((h) => delete h.authorization))
    expect(error.name).toBe('MissingAuthenticationTokenException')
    expect(error.$metadata.httpStatusCode).toBe(403)
  })

  it('refuses a signature scoped to another service', async () => {
    const error = await failure(
      client((h) => {
        h.authorization = (h.authorization as string).replace(
          '/lambda/aws4_request',
          '/s3/aws4_request',
        )
      }),
    )
    expect(error.name).toBe('InvalidSignatureException')
    expect(error.message).toMatch(/scoped to correct service: 'lambda'/)
  })

  it('refuses a request changed after signing', async () => {
    const error = await failure(
      client((h) => {
        h['x-amz-date'] = (h['x-amz-date'] as string).replace(/\d(?=Z$)/, (d) =>
          String((Number(d) + 1) % 10),
        )
      }),
    )
    expect(error.name).toBe('InvalidSignatureException')
    expect(error.message).toMatch(/does not match the signature you provided/)
  })

  it('refuses a region it does not know', async () => {
    const lambda = new LambdaClient({
      region: 'xx-nowhere-9',
      endpoint: api.url,
      credentials: FAKE_CREDENTIALS,
    })
    const error = await failure(lambda)
    expect(error.message).toBe('Credential should be scoped to a valid region.')
  })
})
