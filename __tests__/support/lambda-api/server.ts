import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifySigV4 } from '../sigv4.js'
import { addLayerVersionPermission } from './add-layer-version-permission.js'
import { deleteLayerVersion } from './delete-layer-version.js'
import { FAKE_ACCOUNT, FAKE_CREDENTIALS, KNOWN_REGIONS } from './fake-aws.js'
import { getLayerVersion } from './get-layer-version.js'
import { getLayerVersionPolicy } from './get-layer-version-policy.js'
import { listLayerVersions } from './list-layer-versions.js'
import {
  type Answer,
  ApiError,
  type LambdaApiOptions,
  type LayerOperation,
  type Misbehaviour,
  newMisbehaviour,
  type Operation,
  type StoredLayer,
  type StoredVersion,
} from './model.js'
import { publishLayerVersion } from './publish-layer-version.js'

export {
  AWS_ENV_TO_CLEAR,
  FAKE_ACCOUNT,
  FAKE_CREDENTIALS,
  fakeAwsEnv,
  KNOWN_REGIONS,
} from './fake-aws.js'
export type {
  LambdaApiOptions,
  LayerOperation,
  PolicyStatement,
  StoredVersion,
} from './model.js'

export interface RecordedRequest {
  region: string | undefined
  operation: LayerOperation | 'Unknown'
  layerName: string | undefined
  status: number
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

const OPERATIONS: Record<LayerOperation, Operation> = {
  PublishLayerVersion: publishLayerVersion,
  ListLayerVersions: listLayerVersions,
  GetLayerVersion: getLayerVersion,
  DeleteLayerVersion: deleteLayerVersion,
  AddLayerVersionPermission: addLayerVersionPermission,
  GetLayerVersionPolicy: getLayerVersionPolicy,
}

const LAYER_NAME = /^[a-zA-Z0-9-_]+$/
const ROUTE = /^\/2018-10-31\/layers\/([^/]+)\/versions(?:\/([^/]+)(\/policy)?)?\/?$/

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

/** The region a request's signature claims, read before any check: misbehaviour is keyed by it. */
function claimedRegion(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1]
}

function reply(res: ServerResponse, requestId: string, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId })
  res.end(json === undefined ? undefined : JSON.stringify(json))
}

/** An error as Lambda writes one: x-amzn-ErrorType, and {"Type","Message"} in the body. */
function replyError(res: ServerResponse, requestId: string, e: ApiError): void {
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': e.type,
  })
  res.end(JSON.stringify({ Type: e.status >= 500 ? 'Service' : 'User', Message: e.message }))
}

/** What one server holds: its layers per region, and what it was told to deny or do wrong. */
interface ServerState {
  options: LambdaApiOptions
  /** By region and name, as `${region}\n${name}`. */
  layers: Map<string, StoredLayer>
  /** `${region}\n${operation}` pairs that IAM denies. */
  denied: Set<string>
  misbehaviour: Misbehaviour
}

const SECRETS = new Map([[FAKE_CREDENTIALS.accessKeyId, FAKE_CREDENTIALS.secretAccessKey]])
const REGIONS = new Set(KNOWN_REGIONS)

/** The layer `name` in `region`; any request to a layer creates it, empty, as listing shows. */
function layerIn(state: ServerState, region: string, name: string): StoredLayer {
  const key = `${region}\n${name}`
  let layer = state.layers.get(key)
  if (!layer) {
    layer = { nextVersion: 1, versions: new Map() }
    state.layers.set(key, layer)
  }
  return layer
}

/**
 * The checks before any operation, in this order: signature, a failure asked for, a
 * known operation, IAM. Returns the region the request is signed for.
 */
function authorise(
  state: ServerState,
  req: IncomingMessage,
  body: Buffer,
  operation: LayerOperation | 'Unknown',
  layerName: string | undefined,
): { region: string; operation: LayerOperation; layerName: string } {
  const auth = verifySigV4(req, body, { service: 'lambda', secrets: SECRETS, regions: REGIONS })
  if (!auth.ok) throw new ApiError(auth.status, auth.type, auth.message)
  const region = auth.region
  const failure = state.misbehaviour.failures.get(region)
  if (failure !== undefined) throw new ApiError(400, 'InvalidParameterValueException', failure)
  if (operation === 'Unknown' || layerName === undefined) {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    throw new ApiError(404, 'UnknownOperationException', `Unknown operation ${req.method} ${path}`)
  }
  if (state.denied.has(`${region}\n${operation}`)) {
    throw new ApiError(
      403,
      'AccessDeniedException',
      `User: arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/layer-publisher/ci is not authorized to perform: ` +
        `lambda:${operation} on resource: arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:${layerName} ` +
        `because no identity-based policy allows the lambda:${operation} action`,
    )
  }
  return { region, operation, layerName }
}

/** One request: authorised, its layer name checked, its body read, then its operation. */
async function handle(state: ServerState, req: IncomingMessage, body: Buffer): Promise<Answer> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const route = operationOf(req.method ?? '', url.pathname)
  const { region, operation, layerName } = authorise(
    state,
    req,
    body,
    route.operation,
    route.layerName,
  )
  if (!LAYER_NAME.test(layerName) || layerName.length > 140) {
    throw new ApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${layerName}' at 'layerName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+',
    )
  }
  const suffix = state.misbehaviour.arnSuffixes.get(region) ?? ''
  const layerArn = `arn:aws:lambda:${region}:${FAKE_ACCOUNT}:layer:${layerName}${suffix}`
  const layer = layerIn(state, region, layerName)
  const parsed =
    body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {}
  return OPERATIONS[operation]({
    region,
    layerName,
    layerArn,
    layer,
    version: route.version,
    query: url.searchParams,
    body: parsed,
    options: state.options,
    misbehaviour: state.misbehaviour,
  })
}

/**
 * A node:http server on 127.0.0.1 speaking the Lambda REST API (2018-10-31 layer
 * paths) for the six calls the action makes, with AWS's status codes and error shape
 * (x-amzn-ErrorType header, {"Type","Message"} body), state per region and layer, and
 * a full SigV4 check on every request. What AWS does not do on purpose it does on
 * demand, per region, to test the action against it: never answer (stall), lose the
 * reply to a publish it stored (503), report another CodeSha256, answer hostile ARNs or
 * error messages, echo request headers, read uploads slowly. Not copied: request
 * limits, eventual consistency, and any call the action does not make. Each operation
 * is its own file in this folder; this one routes, checks and keeps the state.
 */
export async function startLambdaApi(options: LambdaApiOptions = {}): Promise<LambdaApi> {
  const state: ServerState = {
    options,
    layers: new Map(),
    denied: new Set(),
    misbehaviour: newMisbehaviour(),
  }
  const { layers, denied, misbehaviour } = state
  const requests: RecordedRequest[] = []

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    const claimed = claimedRegion(req)
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (claimed === undefined || !misbehaviour.slow.has(claimed)) return
      req.pause()
      setTimeout(() => req.resume(), 20)
    })
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const { operation, layerName } = operationOf(
        req.method ?? '',
        new URL(req.url ?? '/', 'http://x').pathname,
      )
      const requestId = randomUUID()
      if (claimed !== undefined && misbehaviour.stalled.has(claimed)) return
      const answer =
        claimed !== undefined && misbehaviour.echoing.has(claimed)
          ? Promise.reject(
              new ApiError(
                400,
                'InvalidRequestException',
                `Bad request: ${JSON.stringify(req.headers)}`,
              ),
            )
          : handle(state, req, body)
      answer
        .then(({ status, json }) => {
          requests.push({ region: claimed, operation, layerName, status })
          reply(res, requestId, status, json)
        })
        .catch((error: unknown) => {
          const e =
            error instanceof ApiError ? error : new ApiError(500, 'ServiceException', String(error))
          requests.push({ region: claimed, operation, layerName, status: e.status })
          replyError(res, requestId, e)
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    deny: (region, operation) => denied.add(`${region}\n${operation}`),
    stall: (region) => misbehaviour.stalled.add(region),
    failAfterPublishing: (region, count = 1) => misbehaviour.lostReplies.set(region, count),
    unavailable: (region, count = 1) => misbehaviour.refusals.set(region, count),
    misreportCodeSha256: (region) => misbehaviour.misreported.add(region),
    tamperArns: (region, suffix) => misbehaviour.arnSuffixes.set(region, suffix),
    failWith: (region, message) => misbehaviour.failures.set(region, message),
    echoHeaders: (region) => misbehaviour.echoing.add(region),
    readSlowly: (region) => misbehaviour.slow.add(region),
    versions: (region, layerName) =>
      [...(layers.get(`${region}\n${layerName}`)?.versions.values() ?? [])].sort(
        (a, b) => a.version - b.version,
      ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
