import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as glob from '@actions/glob'
import type { ExtraFile } from './layer.js'

async function matchFiles(pattern: string, root: string): Promise<string[]> {
  const globber = await glob.create(path.resolve(root, pattern), { matchDirectories: false })
  return Promise.all((await globber.glob()).map((match) => fs.realpath(match)))
}

/**
 * Expands the `extra-files` globs against the workspace, in order; a line
 * starting with `!` drops files that earlier lines matched. Each other line
 * must match at least one file, and every file must lie inside the workspace.
 */
export async function resolveExtraFiles(
  patterns: string[],
  workspace: string,
): Promise<ExtraFile[]> {
  const root = await fs.realpath(workspace)
  const files = new Map<string, ExtraFile>()
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      for (const match of await matchFiles(pattern.slice(1), root)) files.delete(match)
      continue
    }
    const matches = await matchFiles(pattern, root)
    if (matches.length === 0) {
      throw new Error(`Input 'extra-files': '${pattern}' matches no file in the workspace ${root}.`)
    }
    for (const match of matches) {
      const relative = path.relative(root, match)
      if (relative.startsWith('..') || path.isAbsolute(relative)) {
        throw new Error(
          `Input 'extra-files': ${match} is outside the workspace ${root}; only workspace files can go into the layer.`,
        )
      }
      files.set(match, { relative, path: match })
    }
  }
  return [...files.values()].sort((a, b) => (a.relative < b.relative ? -1 : 1))
}
