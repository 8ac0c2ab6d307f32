import { type Answer, fullVersion, type LayerRequest, versionOf } from './model.js'

/** GET /layers/{name}/versions/{n}: the version in full, 404 if there is none. */
export function getLayerVersion(request: LayerRequest): Answer {
  return { status: 200, json: fullVersion(request, versionOf(request)) }
}
