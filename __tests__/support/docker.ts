import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { repoRoot } from './json-pil.js'

/** The local Debian images scripts/docker-images.sh prepares as builder bases. */
export interface DebianImages {
  bookworm: string
  trixie: string
}

/** scripts/docker-images.sh's exit status when dockerd is missing or cannot start. */
const NO_DAEMON = 3

/**
 * Starts dockerd if needed and prepares the Debian images (minutes the first
 * time on a machine, then kept). Returns the images, or the reason Docker cannot
 * run here, which is the only reason the Docker tests may skip; any other
 * failure of the script throws.
 */
export function prepareDebianImages(): { images: DebianImages } | { skip: string } {
  const script = path.join(repoRoot, 'scripts', 'docker-images.sh')
  const run = spawnSync('bash', [script], { encoding: 'utf8', timeout: 30 * 60_000 })
  if (run.status === NO_DAEMON) {
    // The script's last word, and the last line of dockerd's log when it printed one.
    const lines = run.stderr.trim().split('\n')
    const said = lines.filter((line) => line.startsWith('docker-images:')).pop() ?? ''
    const last = lines[lines.length - 1]
    return { skip: `Docker cannot run here: ${said}${last === said ? '' : ` ... ${last}`}` }
  }
  if (run.status !== 0) {
    throw new Error(`${script} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`)
  }
  const images = Object.fromEntries(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')),
  )
  if (!images.bookworm || !images.trixie) {
    throw new Error(`${script} printed no bookworm and trixie images:\n${run.stdout}`)
  }
  return { images: { bookworm: images.bookworm, trixie: images.trixie } }
}
