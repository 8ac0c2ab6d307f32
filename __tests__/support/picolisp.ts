import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'

/**
 * The PicoLisp the tests run, chosen by one variable: PIL_HOME names a home
 * (`lib.l`, `bin/picolisp`), e.g. `<cache>/26.9/home` from
 * scripts/picolisp-releases.sh. Unset means Debian 12's 23.2 as installed.
 */
const HOME = process.env.PIL_HOME

function checkedHome(home: string): string {
  const resolved = path.resolve(home)
  for (const file of ['lib.l', 'bin/picolisp']) {
    if (!existsSync(path.join(resolved, file))) {
      throw new Error(`PIL_HOME=${home} must be a PicoLisp home, with ${file} in it`)
    }
  }
  return resolved
}

/** The home: `@` of the interpreter, where `lib.l` and `lib/` are. */
export const pilHome = HOME ? checkedHome(HOME) : '/usr/lib/picolisp'
export const pilBin = HOME ? path.join(pilHome, 'bin', 'picolisp') : '/usr/bin/picolisp'

/** What `pilBin` reports as its version, e.g. `26.9.25`. */
export const pilVersion = execFileSync(
  pilBin,
  [path.join(pilHome, 'lib.l'), '-prinl (glue "." (version T))', '-bye'],
  { encoding: 'utf8' },
).trim()

/** A pil21 source tree to build layers from, and the license text to ship with it. */
export interface PilSource {
  tree: string
  /** Copied in as COPYING; none when the tree is to be taken as it is. */
  copyright?: string
  /** From the tree's src/vers.l, e.g. `26.9.25`. */
  version: string
  /** The `YY.M` release, as the action's `picolisp-version` input takes it. */
  release: string
}

/** The version a pil21 tree declares in `src/vers.l`: `(pico~de *Version 26 9 25)`. */
export function treeVersion(tree: string): string {
  const file = path.join(tree, 'src', 'vers.l')
  const match = /\*Version\s+(\d+)\s+(\d+)\s+(\d+)\)/.exec(readFileSync(file, 'utf8'))
  if (!match) throw new Error(`${file} declares no *Version as (… *Version YY M D)`)
  return match.slice(1).join('.')
}

/**
 * The source tree beside the interpreter: PIL_SOURCE if set; with PIL_HOME, the
 * release cache's `src/` next to it (and `copyright` next to that); else the tree
 * Debian 12's package ships.
 */
function selectedTree(): { tree: string; copyright?: string } {
  const tree = process.env.PIL_SOURCE
  if (tree) return { tree: path.resolve(tree) }
  if (HOME) {
    const release = path.dirname(pilHome)
    const fromCache = {
      tree: path.join(release, 'src'),
      copyright: path.join(release, 'copyright'),
    }
    if (!existsSync(path.join(fromCache.tree, 'src', 'Makefile'))) {
      throw new Error(
        `No pil21 tree at ${fromCache.tree} beside PIL_HOME=${HOME}: set PIL_SOURCE to one`,
      )
    }
    return fromCache
  }
  return { tree: '/usr/lib/picolisp', copyright: '/usr/share/doc/picolisp/copyright' }
}

export function pilSource(): PilSource {
  const { tree, copyright } = selectedTree()
  const version = treeVersion(tree)
  return { tree, copyright, version, release: version.split('.').slice(0, 2).join('.') }
}
