import { randomUUID } from 'node:crypto'
import { type Answer, ApiError, type LayerRequest, versionOf } from './model.js'

/** GET /layers/{name}/versions/{n}/policy: 404 while nothing was granted on the version. */
export function getLayerVersionPolicy(request: LayerRequest): Answer {
  const stored = versionOf(request)
  if (stored.statements.length === 0) {
    throw new ApiError(
      404,
      'ResourceNotFoundException',
      'No policy is associated with the given resource.',
    )
  }
  const policy = { Version: '2012-10-17', Id: 'default', Statement: stored.statements }
  return { status: 200, json: { Policy: JSON.stringify(policy), RevisionId: randomUUID() } }
}
