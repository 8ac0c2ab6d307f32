import { readdirSync, readFileSync, rmSync } from 'node:fs'
import * as core from '@actions/core'

/** Files and folders of this run's own making that a cancelled run must not leave behind. */
const leftovers = new Set<string>()

/** Removes `target` if the run is cancelled; the returned function forgets it again. */
export function removeOnCancel(target: string): () => void {
  leftovers.add(target)
  return () => {
    leftovers.delete(target)
  }
}

/** Every process's parent, from /proc (Linux, where the action runs); empty elsewhere. */
function parents(): Map<number, number> {
  const parent = new Map<number, number>()
  let pids: string[] = []
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return parent
  }
  for (const pid of pids) {
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(pid), Number(fields[1]))
    } catch {
      // The process ended while we looked.
    }
  }
  return parent
}

function descendants(root: number): number[] {
  const parent = parents()
  const found: number[] = []
  const open = [root]
  while (open.length > 0) {
    const pid = open.pop() as number
    for (const [child, ppid] of parent) {
      if (ppid === pid) {
        found.push(child)
        open.push(child)
      }
    }
  }
  return found
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

/**
 * Kills every process this one started, and theirs (make and its compilers).
 * They are stopped first, until no new one appears, so none can fork past the
 * kill or be orphaned out of sight by a parent dying first.
 */
export function killDescendants(): void {
  const stopped = new Set<number>()
  for (let round = 0; round < 20; round++) {
    const fresh = descendants(process.pid).filter((pid) => !stopped.has(pid))
    if (fresh.length === 0) break
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP')
      stopped.add(pid)
    }
  }
  for (const pid of stopped) signal(pid, 'SIGKILL')
}

function cancel(name: NodeJS.Signals): void {
  killDescendants()
  for (const target of leftovers) rmSync(target, { recursive: true, force: true })
  core.setFailed(`Cancelled by ${name}: stopped the build and removed its partial files.`)
  process.exit(name === 'SIGINT' ? 130 : 143)
}

/** A cancelled job (SIGTERM, or SIGINT from a terminal) ends the whole run cleanly. */
export function handleCancellation(): void {
  for (const name of ['SIGTERM', 'SIGINT'] as const) process.once(name, () => cancel(name))
}
