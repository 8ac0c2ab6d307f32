import * as core from '@actions/core'
import type { BuiltLayer } from './types.js'

/**
 * Follows the phases as they run. The local command (scripts/layer.mjs) installs
 * one on globalThis under PHASE_LISTENER to show a person its progress; on a
 * runner there is none, and the log stays as it is.
 */
export interface PhaseListener {
  start(name: string): void
  end(name: string, ms: number, failed: boolean): void
}

export const PHASE_LISTENER = Symbol.for('picolisp-lambda-action.phase-listener')

function phaseListener(): PhaseListener | undefined {
  return (globalThis as Record<symbol, PhaseListener | undefined>)[PHASE_LISTENER]
}

/** Wall time of each phase, in the order they ran. */
export class PhaseTimer {
  readonly phases: { name: string; ms: number }[] = []

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now()
    let failed = true
    phaseListener()?.start(name)
    try {
      const result = await work()
      failed = false
      return result
    } finally {
      const ms = Math.round(performance.now() - start)
      this.phases.push({ name, ms })
      phaseListener()?.end(name, ms, failed)
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
