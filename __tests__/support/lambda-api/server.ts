import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifySigV4 } from '../sigv4.js'

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

/** The operations this server speaks, named as Lambda (and IAM) names them. */
export type LayerOperation =
  | 'PublishLayerVersion'
  | 'ListLayerVersions'
  | 'GetLayerVersion'
  | 'DeleteLayerVersion'
  | 'AddLayerVersionPermission'
  | 'GetLayerVersionPolicy'

export interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Principal: string | { AWS: string }
  Action: 'lambda:GetLayerVersion'
  Resource: string
  Condition?: { StringEquals: { 'aws:PrincipalOrgID': string } }
}

export interface StoredVersion {
  version: number
  arn: string
  description: string
  licenseInfo: string
  compatibleRuntimes: string[]
  compatibleArchitectures: string[]
  codeSha256: string
  codeSize: number
  createdDate: string
  statements: PolicyStatement[]
}

interface StoredLayer {
  nextVersion: number
  versions: Map<number, StoredVersion>
}

export interface RecordedRequest {
  region: string | undefined
  operation: LayerOperation | 'Unknown'
  layerName: string | undefined
  status: number
}

export interface LambdaApiOptions {
  /** How PublishLayerVersion reads `Content.S3Bucket`/`S3Key`: give it the fake S3's objects. */
  s3Object?: (region: string, bucket: string, key: string) => Buffer | undefined
  /** Items per ListLayerVersions page when the caller sets no MaxItems (AWS: 50). */
  pageSize?: number
}

export interface LambdaApi {
  url: string
  requests: RecordedRequest[]
  /** Answer AccessDeniedException, as IAM would, for `operation` in `region`. */
  deny(region: string, operation: LayerOperation): void
  /** Accept every request signed for `region`, read it, and never answer (a black hole). */
  stall(region: string): void
  /** Store the next `count` versions published in `region`, then answer 503 as if the reply was lost. */
  failAfterPublishing(region: string, count?: number): void
  /** Answer the next `count` publishes in `region` with 503, storing nothing. */
  unavailable(region: string, count?: number): void
  /** Report, for versions in `region`, a CodeSha256 other than that of the zip received. */
  misreportCodeSha256(region: string): void
  /** Append `suffix` to every ARN answered in `region`, as a hostile endpoint could. */
  tamperArns(region: string, suffix: string): void
  /** Answer every request in `region` with an error whose message is `message`. */
  failWith(region: string, message: string): void
  /** Answer every request in `region` with an error echoing the request's headers. */
  echoHeaders(region: string): void
  /** Read request bodies in `region` slowly, 64 KiB at most every 20 ms, as a slow link would. */
  readSlowly(region: string): void
  versions(region: string, layerName: string): StoredVersion[]
  close(): Promise<void>
}

const LAYER_NAME = /^[a-zA-Z0-9-_]+$/
const STATEMENT_ID = /^[a-zA-Z0-9-_]{1,100}$/
const PRINCIPAL = /^(\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root)$/
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/
const DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
const ROUTE = /^\/2018-10-31\/layers\/([^/]+)\/versions(?:\/([^/]+)(\/policy)?)?\/?$/

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

function operationOf(
  method: string,
  path: string,
): { operation: LayerOperation | 'Unknown'; layerName?: string; version?: string } {
  const match = ROUTE.exec(path)
  if (!match) return { operation: 'Unknown' }
  const [, rawName, version, policy] = match
  const layerName = decodeURIComponent(rawName as string)
  const table: Record<string, LayerOperation> = policy
    ? { POST: 'AddLayerVersionPermission', GET: 'GetLayerVersionPolicy' }
    : version
      ? { GET: 'GetLayerVersion', DELETE: 'DeleteLayerVersion' }
      : { POST: 'PublishLayerVersion', GET: 'ListLayerVersions' }
  return { operation: table[method] ?? 'Unknown', layerName, version }
}

// Lambda writes dates as 2018-11-27T15:10:45.123+0000.
function lambdaDate(): string {
  return new Date().toISOString().replace('Z', '+0000')
}

function isZip(bytes: Buffer): boolean {
  const magic = bytes.subarray(0, 4).toString('binary')
  return magic === 'PK\x03\x04' || magic === 'PK\x05\x06'
}

/**
 * A node:http server on 127.0.0.1 speaking the Lambda REST API (2018-10-31 layer
 * paths) for the six calls the action makes, with AWS's status codes and error shape
 * (x-amzn-ErrorType header, {"Type","Message"} body), state per region and layer, and
 * a full SigV4 check on every request. What AWS does not do on purpose it does on
 * demand, per region, to test the action against it: never answer (stall), lose the
 * reply to a publish it stored (503), report another CodeSha256, answer hostile ARNs or
 * error messages, echo request headers, read uploads slowly. Not copied: request
 * limits, eventual consistency, and any call the action does not make.
 */
export async function startLambdaApi(options: LambdaApiOptions = {}): Promise<LambdaApi> {
  const layers = new Map<string, StoredLayer>()
  const denied = new Set<string>()
  const requests: RecordedRequest[] = []
  const secrets = new Map([[FAKE_CREDENTIALS.accessKeyId, FAKE_CREDENTIALS.secretAccessKey]])
  const regions = new Set(KNOWN_REGIONS)
  // Misbehaviour on demand, per region: none of it is anything AWS does on purpose.
  const stalled = new Set<string>()
  const lostReplies = new Map<string, number>()
  const refusals = new Map<string, number>()
  const misreported = new Set<string>()
  const arnSuffixes = new Map<string, string>()
  const failures = new Map<string, string>()
  const echoing = new Set<string>()
  const slow = new Set<string>()

  const layerKey = (region: string, name: string) => `${region}\n${name}`
  const layerIn = (region: string, name: string): StoredLayer => {
    const key = layerKey(region, name)
    let layer = layers.get(key)
    if (!layer) {
      layer = { nextVersion: 1, versions: new Map() }
      layers.set(key, layer)
    }
    return layer
  }

  const handle = async (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; json?: unknown; region?: string }> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const { operation, layerName, version } = operationOf(req.method ?? '', url.pathname)
    const auth = verifySigV4(req, body, { service: 'lambda', secrets, regions })
    if (!auth.ok) throw new ApiError(auth.status, auth.type, auth.message)
    const region = auth.region
    const failure = failures.get(region)
    if (failure !== undefined) throw new ApiError(400, 'InvalidParameterValueException', failure)
    if (operation === 'Unknown' || layerName === undefined) {
      throw new ApiError(
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${url.pathname}`,
      )
    }
    if (denied.has(`${region}\n${operation}`)) {
      throw new ApiError(
        403,
        'AccessDeniedException',
        `User: arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/layer-publisher/ci is not authorized to perform: ` +
          `lambda:${operation} on resource: arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:${layerName} ` +
          `because no identity-based policy allows the lambda:${operation} action`,
      )
    }
    if (!LAYER_NAME.test(layerName) || layerName.length > 140) {
      throw new ApiError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${layerName}' at 'layerName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+',
      )
    }
    const layerArn = `arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:${layerName}${arnSuffixes.get(region) ?? ''}`
    const layer = layerIn(region, layerName)
    const parsed =
      body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {}
    const versionOf = (): StoredVersion => {
      const stored = layer.versions.get(Number(version))
      if (!/^\d+$/.test(version ?? '') || !stored) {
        throw new ApiError(
          404,
          'ResourceNotFoundException',
          'The resource you requested does not exist.',
        )
      }
      return stored
    }
    const describe = (v: StoredVersion) => ({
      LayerVersionArn: v.arn,
      Version: v.version,
      Description: v.description,
      CreatedDate: v.createdDate,
      CompatibleRuntimes: v.compatibleRuntimes,
      LicenseInfo: v.licenseInfo,
      CompatibleArchitectures: v.compatibleArchitectures,
    })
    const full = (v: StoredVersion) => ({
      Content: {
        Location: `https://awslambda-${region}-layers.s3.${region}.amazonaws.com/snapshots/${FAKE_ACCOUNT}/${layerName}-${v.version}`,
        CodeSha256: misreported.has(region) ? `${v.codeSha256.slice(0, -4)}AAA=` : v.codeSha256,
        CodeSize: v.codeSize,
      },
      LayerArn: layerArn,
      ...describe(v),
    })

    switch (operation) {
      case 'PublishLayerVersion': {
        const content = (parsed.Content ?? {}) as Record<string, string>
        let zip: Buffer | undefined
        if (content.ZipFile !== undefined) {
          zip = Buffer.from(content.ZipFile, 'base64')
          if (zip.length > DIRECT_UPLOAD_LIMIT) {
            throw new ApiError(
              413,
              'RequestEntityTooLargeException',
              'Request must be smaller than 69905067 bytes for the PublishLayerVersion operation',
            )
          }
        } else if (content.S3Bucket && content.S3Key) {
          zip = options.s3Object?.(region, content.S3Bucket, content.S3Key)
          if (!zip) {
            throw new ApiError(
              400,
              'InvalidParameterValueException',
              `Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.`,
            )
          }
        } else {
          throw new ApiError(
            400,
            'InvalidParameterValueException',
            'Please provide a source for the layer content.',
          )
        }
        if (!isZip(zip)) {
          throw new ApiError(
            400,
            'InvalidParameterValueException',
            'Could not unzip uploaded file. Please check your file, then try to upload again.',
          )
        }
        const description = String(parsed.Description ?? '')
        if (description.length > 256) {
          throw new ApiError(
            400,
            'ValidationException',
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
          )
        }
        const refused = refusals.get(region) ?? 0
        if (refused > 0) {
          refusals.set(region, refused - 1)
          throw new ApiError(503, 'ServiceException', 'The service is unavailable.')
        }
        const number = layer.nextVersion++
        const stored: StoredVersion = {
          version: number,
          arn: `${layerArn}:${number}`,
          description,
          licenseInfo: String(parsed.LicenseInfo ?? ''),
          compatibleRuntimes: (parsed.CompatibleRuntimes as string[] | undefined) ?? [],
          compatibleArchitectures: (parsed.CompatibleArchitectures as string[] | undefined) ?? [],
          codeSha256: createHash('sha256').update(zip).digest('base64'),
          codeSize: zip.length,
          createdDate: lambdaDate(),
          statements: [],
        }
        layer.versions.set(number, stored)
        const lost = lostReplies.get(region) ?? 0
        if (lost > 0) {
          lostReplies.set(region, lost - 1)
          throw new ApiError(503, 'ServiceException', 'The service is unavailable (reply lost).')
        }
        return { status: 201, json: full(stored), region }
      }
      case 'ListLayerVersions': {
        const all = [...layer.versions.values()].sort((a, b) => b.version - a.version)
        const start = url.searchParams.has('Marker') ? Number(url.searchParams.get('Marker')) : 0
        const size = Number(url.searchParams.get('MaxItems') ?? options.pageSize ?? 50)
        const page = all.slice(start, start + size)
        const next = start + size < all.length ? String(start + size) : undefined
        return {
          status: 200,
          json: { LayerVersions: page.map(describe), NextMarker: next },
          region,
        }
      }
      case 'GetLayerVersion':
        return { status: 200, json: full(versionOf()), region }
      case 'DeleteLayerVersion':
        layer.versions.delete(Number(version))
        return { status: 204, region }
      case 'GetLayerVersionPolicy': {
        const stored = versionOf()
        if (stored.statements.length === 0) {
          throw new ApiError(
            404,
            'ResourceNotFoundException',
            'No policy is associated with the given resource.',
          )
        }
        const policy = { Version: '2012-10-17', Id: 'default', Statement: stored.statements }
        return {
          status: 200,
          json: { Policy: JSON.stringify(policy), RevisionId: randomUUID() },
          region,
        }
      }
      case 'AddLayerVersionPermission': {
        const stored = versionOf()
        const { StatementId, Action, Principal, OrganizationId } = parsed as Record<
          string,
          string | undefined
        >
        if (!StatementId || !STATEMENT_ID.test(StatementId)) {
          throw new ApiError(
            400,
            'ValidationException',
            `1 validation error detected: Value '${StatementId}' at 'statementId' failed to satisfy constraint`,
          )
        }
        if (Action !== 'lambda:GetLayerVersion') {
          throw new ApiError(
            400,
            'ValidationException',
            `1 validation error detected: Value '${Action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`,
          )
        }
        if (!Principal || !PRINCIPAL.test(Principal)) {
          throw new ApiError(
            400,
            'ValidationException',
            `1 validation error detected: Value '${Principal}' at 'principal' failed to satisfy constraint`,
          )
        }
        if (
          OrganizationId !== undefined &&
          (!ORGANIZATION_ID.test(OrganizationId) || Principal !== '*')
        ) {
          throw new ApiError(
            400,
            'InvalidParameterValueException',
            'OrganizationId requires principal * and must match o-[a-z0-9]{10,32}.',
          )
        }
        if (stored.statements.some((s) => s.Sid === StatementId)) {
          throw new ApiError(
            409,
            'ResourceConflictException',
            `The statement id (${StatementId}) provided already exists. Please explicitly specify a new statement id, or remove the existing statement.`,
          )
        }
        const statement: PolicyStatement = {
          Sid: StatementId,
          Effect: 'Allow',
          Principal: /^\d{12}$/.test(Principal)
            ? { AWS: `arn:aws:iam::${Principal}:root` }
            : Principal,
          Action: 'lambda:GetLayerVersion',
          Resource: stored.arn,
          ...(OrganizationId
            ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': OrganizationId } } }
            : {}),
        }
        stored.statements.push(statement)
        return {
          status: 201,
          json: { Statement: JSON.stringify(statement), RevisionId: randomUUID() },
          region,
        }
      }
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1]
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (region === undefined || !slow.has(region)) return
      req.pause()
      setTimeout(() => req.resume(), 20)
    })
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const { operation, layerName } = operationOf(
        req.method ?? '',
        new URL(req.url ?? '/', 'http://x').pathname,
      )
      const claimed = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(
        req.headers.authorization ?? '',
      )?.[1]
      const requestId = randomUUID()
      if (claimed !== undefined && stalled.has(claimed)) return
      const answer =
        claimed !== undefined && echoing.has(claimed)
          ? Promise.reject(
              new ApiError(
                400,
                'InvalidRequestException',
                `Bad request: ${JSON.stringify(req.headers)}`,
              ),
            )
          : handle(req, body)
      answer
        .then(({ status, json }) => {
          requests.push({ region: claimed, operation, layerName, status })
          res.writeHead(status, {
            'content-type': 'application/json',
            'x-amzn-requestid': requestId,
          })
          res.end(json === undefined ? undefined : JSON.stringify(json))
        })
        .catch((error: unknown) => {
          const e =
            error instanceof ApiError ? error : new ApiError(500, 'ServiceException', String(error))
          requests.push({ region: claimed, operation, layerName, status: e.status })
          res.writeHead(e.status, {
            'content-type': 'application/json',
            'x-amzn-requestid': requestId,
            'x-amzn-errortype': e.type,
          })
          res.end(
            JSON.stringify({ Type: e.status >= 500 ? 'Service' : 'User', Message: e.message }),
          )
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    deny: (region, operation) => denied.add(`${region}\n${operation}`),
    stall: (region) => stalled.add(region),
    failAfterPublishing: (region, count = 1) => lostReplies.set(region, count),
    unavailable: (region, count = 1) => refusals.set(region, count),
    misreportCodeSha256: (region) => misreported.add(region),
    tamperArns: (region, suffix) => arnSuffixes.set(region, suffix),
    failWith: (region, message) => failures.set(region, message),
    echoHeaders: (region) => echoing.add(region),
    readSlowly: (region) => slow.add(region),
    versions: (region, layerName) =>
      [...(layers.get(layerKey(region, layerName))?.versions.values() ?? [])].sort(
        (a, b) => a.version - b.version,
      ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

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
