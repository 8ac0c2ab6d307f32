import type { Answer, LayerRequest } from './model.js'

/** DELETE /layers/{name}/versions/{n}: 204 whether or not the version was there, as Lambda does. */
export function deleteLayerVersion({ layer, version }: LayerRequest): Answer {
  layer.versions.delete(Number(version))
  return { status: 204 }
}
