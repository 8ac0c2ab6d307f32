import { readFile } from 'node:fs/promises'
import * as core from '@actions/core'
import { DIRECT_UPLOAD_LIMIT } from '../common/lambda-limits.js'
import { humanSize } from '../common/report.js'
import type { BuiltLayer } from '../common/types.js'
import { neutralise } from '../common/untrusted.js'
import { mapWithLimit, REGION_CONCURRENCY } from './concurrency.js'
import type { PublishInputs } from './inputs.js'
import { desiredMetadata } from './plan.js'
import { publishRegion } from './region.js'
import { setPublishOutputs, writePublishSummary } from './summary.js'

export { type PublishInputs, readPublishInputs } from './inputs.js'

/**
 * Publishes (or keeps, shares and prunes) the layer in every region, sets the outputs
 * and the job summary, then throws naming every failed region if any failed.
 */
export async function publishLayer(inputs: PublishInputs, layer: BuiltLayer): Promise<void> {
  if (layer.size > DIRECT_UPLOAD_LIMIT && inputs.s3Bucket === undefined) {
    throw new Error(
      `The layer zip is ${humanSize(layer.size)}, over the ${humanSize(DIRECT_UPLOAD_LIMIT)} Lambda ` +
        "accepts in a direct upload: set the 's3-bucket' input to upload it through S3",
    )
  }
  const desired = desiredMetadata(inputs, layer)
  const zip = await readFile(layer.zipPath)
  core.info(
    `${inputs.dryRun ? 'Planning (dry run)' : 'Publishing'} ${inputs.layerName} ` +
      `(${layer.architecture}, ${humanSize(layer.size)}) in ${inputs.regions.join(', ')}`,
  )

  const results = await mapWithLimit(inputs.regions, REGION_CONCURRENCY, (region) =>
    publishRegion({ region, inputs, layer, zip, desired }),
  )

  setPublishOutputs(results)
  await writePublishSummary(inputs.layerName, results, layer.size, inputs.dryRun)

  const failed = results.filter((r) => r.outcome === 'failed')
  if (failed.length > 0) {
    const lines = failed.map((r) => `  ${r.region}: ${neutralise(r.error)}`)
    throw new Error(
      `Publishing failed in ${failed.length} of ${results.length} regions:\n${lines.join('\n')}`,
    )
  }
}
