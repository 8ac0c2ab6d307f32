import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as glob from '@actions/glob'
import { InputError } from '../inputs/input-error.js'
import { PROBE_PREFIX } from '../inputs/output.js'
import type { ExtraFile } from './assemble.js'

/** A pattern segment as a regular expression: `*` and `?` are wildcards, the rest literal. */
function segmentPattern(segment: string): RegExp {
  const body = segment
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`)
}

/** A dotfile or dot-folder ships only when a segment of the pattern starting with '.' names it. */
function namesDotEntries(pattern: string, relative: string): boolean {
  const named = pattern
    .split(/[\\/]/)
    .filter((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..')
    .map(segmentPattern)
  return relative
    .split(path.sep)
    .filter((segment) => segment.startsWith('.'))
    .every((segment) => named.some((re) => re.test(segment)))
}

/** Files the action makes itself: layer zips (this output or an earlier default one), partial zips, the probe. */
function isOwnFile(file: string, output: string): boolean {
  const name = path.basename(file)
  return (
    file === output ||
    /^picolisp-layer-.*\.zip$/.test(name) ||
    /^\..*\.\d+\.partial$/.test(name) ||
    name.startsWith(PROBE_PREFIX)
  )
}

/** Whether `relative` (a match of `pattern`) must never ship. */
function excluded(relative: string, pattern: string, file: string, output: string): boolean {
  return (
    relative.split(path.sep).includes('.git') ||
    isOwnFile(file, output) ||
    !namesDotEntries(pattern, relative)
  )
}

const isOutside = (relative: string): boolean =>
  relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)

/** The matches of `pattern` by their names inside `root`, links not followed for the name. */
async function matchFiles(pattern: string, root: string): Promise<string[]> {
  const globber = await glob.create(path.resolve(root, pattern), { matchDirectories: false })
  return globber.glob()
}

const outsideError = (match: string, root: string, input: string): Error =>
  new InputError(
    input,
    `${match} is outside the workspace ${root}; only workspace files can go into the layer.`,
  )

/** The real file behind a match, checked to be a regular file inside the workspace. */
async function checkedTarget(match: string, root: string, input: string): Promise<string> {
  const real = await fs.realpath(match)
  if (isOutside(path.relative(root, real))) throw outsideError(match, root, input)
  if (!(await fs.stat(real)).isFile()) {
    throw new InputError(input, `${match} is not a regular file.`)
  }
  return real
}

/**
 * Expands the `extra-files` globs against the workspace, in order; a line
 * starting with `!` drops files that earlier lines matched. Each other line
 * must match at least one file, and every file must lie inside the workspace.
 * Never shipped: `.git/`, the action's own files (zips, partial zips), and
 * dotfiles or dot-folders that the pattern does not name with a leading '.'.
 * A link ships under its own name, with the content of the file it points to.
 */
export async function resolveExtraFiles(
  patterns: string[],
  workspace: string,
  output: string,
  input = 'extra-files',
): Promise<ExtraFile[]> {
  const root = await fs.realpath(workspace)
  const realOutput = path.join(
    await fs.realpath(path.dirname(output)).catch(() => path.dirname(output)),
    path.basename(output),
  )
  const files = new Map<string, ExtraFile>()
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      for (const match of await matchFiles(pattern.slice(1), root)) {
        files.delete(path.relative(root, match))
      }
      continue
    }
    let shipped = 0
    for (const match of await matchFiles(pattern, root)) {
      const relative = path.relative(root, match)
      // Before the exclusions: a name outside starts with '..', which would look hidden.
      if (isOutside(relative)) throw outsideError(match, root, input)
      if (excluded(relative, pattern, match, realOutput)) continue
      const real = await checkedTarget(match, root, input)
      if (isOwnFile(real, realOutput)) continue
      files.set(relative, { relative, path: real })
      shipped++
    }
    if (shipped === 0) {
      throw new InputError(
        input,
        `'${pattern}' matches no file in the workspace ${root} ` +
          "(.git/, the action's own zips and dotfiles the pattern does not name are never shipped).",
      )
    }
  }
  return [...files.values()].sort((a, b) => (a.relative < b.relative ? -1 : 1))
}
