import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FAKE_CREDENTIALS, KNOWN_REGIONS } from './lambda-api-server.js'
import { verifySigV4 } from './sigv4.js'

export interface S3Request {
  operation: 'PutObject' | 'DeleteObject' | 'Unknown'
  region: string | undefined
  bucket: string
  key: string
  status: number
}

export interface S3Api {
  url: string
  requests: S3Request[]
  /** Objects still stored, as "bucket/key". */
  keys(): string[]
  /** What Lambda would read for Content.S3Bucket/S3Key: only from a bucket in its own region. */
  object(region: string, bucket: string, key: string): Buffer | undefined
  /** From now on read every request and never answer (a black hole). */
  stall(): void
  close(): Promise<void>
}

// aws-chunked bodies: "<hex size>[;chunk-signature=…]\r\n<bytes>\r\n" … "0\r\n<trailers>\r\n".
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    const size = Number.parseInt(
      body.subarray(at, lineEnd).toString('latin1').split(';')[0] as string,
      16,
    )
    if (!(size > 0)) return Buffer.concat(parts)
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

/**
 * A minimal S3 on 127.0.0.1 (path-style PUT and DELETE object) for the large-zip path:
 * buckets live in one region each, requests are SigV4-checked for service `s3`, and a
 * request signed for another region than the bucket's gets S3's own refusal.
 */
export async function startS3Api(buckets: Record<string, string>): Promise<S3Api> {
  const objects = new Map<string, Buffer>()
  const requests: S3Request[] = []
  const secrets = new Map([[FAKE_CREDENTIALS.accessKeyId, FAKE_CREDENTIALS.secretAccessKey]])

  const fail = (status: number, code: string, message: string) => ({
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
  })

  const handle = (req: IncomingMessage, raw: Buffer, bucket: string, key: string) => {
    const auth = verifySigV4(req, raw, { service: 's3', secrets, regions: new Set(KNOWN_REGIONS) })
    if (!auth.ok)
      return fail(
        403,
        auth.type === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : auth.type,
        auth.message,
      )
    const home = buckets[bucket]
    if (home === undefined) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist')
    if (home !== auth.region) {
      return fail(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${home}'`,
      )
    }
    if (req.method === 'PUT') {
      const chunked =
        /aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) ||
        String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')
      objects.set(`${bucket}/${key}`, chunked ? decodeAwsChunked(raw) : raw)
      return { status: 200, body: '' }
    }
    if (req.method === 'DELETE') {
      objects.delete(`${bucket}/${key}`)
      return { status: 204, body: '' }
    }
    return fail(
      405,
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
    )
  }

  let stalled = false
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (stalled) return
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const [, bucket = '', ...rest] = path.split('/')
      const key = decodeURIComponent(rest.join('/'))
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1]
      const answer = handle(req, Buffer.concat(chunks), bucket, key)
      const operation =
        req.method === 'PUT' ? 'PutObject' : req.method === 'DELETE' ? 'DeleteObject' : 'Unknown'
      requests.push({ operation, region, bucket, key, status: answer.status })
      res.writeHead(answer.status, {
        'content-type': 'application/xml',
        'x-amz-request-id': randomUUID(),
      })
      res.end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    keys: () => [...objects.keys()],
    stall: () => {
      stalled = true
    },
    object: (region, bucket, key) =>
      buckets[bucket] === region ? objects.get(`${bucket}/${key}`) : undefined,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
