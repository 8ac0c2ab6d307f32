import * as core from '@actions/core'
import { hasJobSummary, humanSize } from '../common/report.js'
import { neutraliseHtml } from '../common/untrusted.js'
import type { RegionOutcome, RegionResult } from './job.js'

/** Results that count as success, in the order the regions were written. */
function succeeded(results: readonly RegionResult[]): RegionResult[] {
  return results.filter((r) => r.outcome !== 'failed')
}

/** Region → version ARN for every region that has one and did not fail. */
export function versionArnsByRegion(results: readonly RegionResult[]): Record<string, string> {
  const arns: Record<string, string> = {}
  for (const r of succeeded(results)) if (r.versionArn) arns[r.region] = r.versionArn
  return arns
}

/**
 * Sets the step outputs, all as strings. The single-value outputs describe the first
 * region as written; they stay empty when it failed or, in a dry run, has no version yet.
 */
export function setPublishOutputs(results: readonly RegionResult[]): void {
  const first = results[0]
  const usable = first && first.outcome !== 'failed' ? first : undefined
  core.setOutput('layer-arn', usable?.layerArn ?? '')
  core.setOutput('layer-version-arn', usable?.versionArn ?? '')
  core.setOutput('layer-version', usable?.version === undefined ? '' : String(usable.version))
  core.setOutput('layer-version-arns', JSON.stringify(versionArnsByRegion(results)))
  core.setOutput('published', String(results.some((r) => r.outcome === 'published')))
}

const OUTCOME_WORDS: Record<RegionOutcome, string> = {
  published: 'published',
  unchanged: 'unchanged',
  'would-publish': 'would publish (dry run)',
  'would-keep': 'unchanged (dry run)',
  failed: 'failed',
}

function resultText(r: RegionResult, dryRun: boolean): string {
  const parts = [OUTCOME_WORDS[r.outcome]]
  if (r.error) parts.push(r.error)
  if (r.granted.length > 0)
    parts.push(`${dryRun ? 'would share' : 'shared'} with ${r.granted.join(', ')}`)
  if (r.pruned.length > 0)
    parts.push(`${dryRun ? 'would delete' : 'deleted'} version ${r.pruned.join(', ')}`)
  return parts.join('; ')
}

/** One table row per region, failures included, so one bad region hides nothing. */
export async function writePublishSummary(
  layerName: string,
  results: readonly RegionResult[],
  size: number,
  dryRun: boolean,
): Promise<void> {
  if (!hasJobSummary()) return
  // The ARN and the error came from the service: escaped, they can only be text.
  const rows = results.map((r) => [
    r.region,
    r.versionArn === undefined
      ? r.outcome === 'would-publish'
        ? '(new version)'
        : '—'
      : neutraliseHtml(r.versionArn),
    neutraliseHtml(resultText(r, dryRun)),
    humanSize(size),
  ])
  await core.summary
    .addHeading(`Lambda layer ${layerName}${dryRun ? ' (dry run: nothing was changed)' : ''}`, 3)
    .addTable([
      [
        { data: 'Region', header: true },
        { data: 'Version ARN', header: true },
        { data: 'Result', header: true },
        { data: 'Size', header: true },
      ],
      ...rows,
    ])
    .write()
}
