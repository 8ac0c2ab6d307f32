import { type Answer, type LayerRequest, listedVersion } from './model.js'

/** GET /layers/{name}/versions: newest first, a page at a time (Marker, MaxItems). */
export function listLayerVersions({ layer, query, options }: LayerRequest): Answer {
  const all = [...layer.versions.values()].sort((a, b) => b.version - a.version)
  const start = query.has('Marker') ? Number(query.get('Marker')) : 0
  const size = Number(query.get('MaxItems') ?? options.pageSize ?? 50)
  const page = all.slice(start, start + size)
  const next = start + size < all.length ? String(start + size) : undefined
  return { status: 200, json: { LayerVersions: page.map(listedVersion), NextMarker: next } }
}
