import { createHash, createHmac } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** Why a request was refused, in the shape AWS answers it. */
export interface SigV4Rejection {
  ok: false
  status: number
  type: string
  message: string
}

export interface SigV4Accepted {
  ok: true
  region: string
  accessKeyId: string
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/

// RFC 3986 unreserved characters stay; everything else is %XX, as SigV4 requires.
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function canonicalQuery(search: string): string {
  const params = new URLSearchParams(search)
  return [...params.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

// Every service but S3 encodes the (already encoded) path a second time.
function canonicalPath(path: string, service: string): string {
  if (service === 's3') return path
  return path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/')
}

/**
 * Checks a request's AWS Signature Version 4 the way AWS does, written from the
 * published algorithm: known access key, credential scope naming `service` and a
 * region in `regions`, a fresh date, and a signature recomputed over the canonical
 * request with the secret key.
 */
export function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  options: { service: string; secrets: ReadonlyMap<string, string>; regions: ReadonlySet<string> },
): SigV4Accepted | SigV4Rejection {
  const reject = (status: number, type: string, message: string): SigV4Rejection => ({
    ok: false,
    status,
    type,
    message,
  })
  const authorization = req.headers.authorization
  if (!authorization) {
    return reject(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token')
  }
  const match = AUTHORIZATION.exec(authorization)
  if (!match) {
    return reject(
      400,
      'IncompleteSignatureException',
      `Authorization header is malformed: ${authorization}`,
    )
  }
  const [, accessKeyId, day, region, service, signedHeaderList, signature] =
    match as unknown as string[]
  const secret = options.secrets.get(accessKeyId as string)
  if (secret === undefined) {
    return reject(
      403,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    )
  }
  if (service !== options.service) {
    return reject(
      403,
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${options.service}'.`,
    )
  }
  if (!options.regions.has(region as string)) {
    return reject(
      403,
      'InvalidSignatureException',
      'Credential should be scoped to a valid region.',
    )
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  if (!amzDate.startsWith(day as string)) {
    return reject(
      403,
      'InvalidSignatureException',
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
    )
  }
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  )
  if (!(Math.abs(Date.now() - signedAt) < 15 * 60 * 1000)) {
    return reject(403, 'InvalidSignatureException', 'Signature expired or not yet current.')
  }

  const signedHeaders = (signedHeaderList as string).split(';')
  if (!signedHeaders.includes('host')) {
    return reject(
      403,
      'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )
  }
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name]
      const text = Array.isArray(value) ? value.join(',') : (value ?? '')
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`
    })
    .join('')
  const declaredPayload = req.headers['x-amz-content-sha256']
  const payloadHash = typeof declaredPayload === 'string' ? declaredPayload : sha256Hex(body)
  if (/^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== sha256Hex(body)) {
    return reject(
      400,
      'XAmzContentSHA256Mismatch',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    )
  }
  const url = new URL(req.url ?? '/', 'http://placeholder')
  const canonicalRequest = [
    req.method,
    canonicalPath(url.pathname, options.service),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n')
  const scope = `${day}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  let key = hmac(`AWS4${secret}`, day as string)
  for (const part of [region as string, service as string, 'aws4_request']) key = hmac(key, part)
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex')
  if (expected !== signature) {
    return reject(
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    )
  }
  return { ok: true, region: region as string, accessKeyId: accessKeyId as string }
}
