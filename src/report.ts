import * as core from '@actions/core'
import type { BuiltLayer } from './types.js'

/** Wall time of each phase, in the order they ran. */
export class PhaseTimer {
  readonly phases: { name: string; ms: number }[] = []

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now()
    try {
      return await work()
    } finally {
      this.phases.push({ name, ms: Math.round(performance.now() - start) })
    }
  }
}

export function setBuildOutputs(layer: BuiltLayer, cacheHit: boolean): void {
  core.setOutput('layer-zip', layer.zipPath)
  core.setOutput('layer-sha256', layer.sha256)
  core.setOutput('code-sha256', layer.codeSha256)
  core.setOutput('layer-size', String(layer.size))
  core.setOutput('picolisp-version', layer.picolispVersion)
  core.setOutput('architecture', layer.architecture)
  core.setOutput('cache-hit', String(cacheHit))
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** Local runs have no job summary file: the summary is then left out. */
export function hasJobSummary(): boolean {
  return Boolean(process.env.GITHUB_STEP_SUMMARY)
}

/** The job summary of the build; a no-op where there is no summary file (local runs). */
export async function writeBuildSummary(
  layer: BuiltLayer,
  details: { cacheHit: boolean; unzippedSize: number; timer: PhaseTimer },
): Promise<void> {
  if (!hasJobSummary()) return
  await core.summary
    .addHeading(`PicoLisp ${layer.picolispVersion} Lambda layer (${layer.architecture})`, 2)
    .addTable([
      [
        { data: 'PicoLisp', header: true },
        { data: 'Architecture', header: true },
        { data: 'Zip size', header: true },
        { data: 'Unzipped', header: true },
        { data: 'sha256', header: true },
        { data: 'Cache hit', header: true },
      ],
      [
        layer.picolispVersion,
        layer.architecture,
        humanSize(layer.size),
        humanSize(details.unzippedSize),
        `<code>${layer.sha256}</code>`,
        details.cacheHit ? 'yes' : 'no',
      ],
    ])
    .addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Time', header: true },
      ],
      ...details.timer.phases.map((p) => [p.name, `${(p.ms / 1000).toFixed(2)} s`]),
    ])
    .write()
}
