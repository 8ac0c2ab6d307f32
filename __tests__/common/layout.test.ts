import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { expect, test } from 'vitest'

// src/ is one folder per phase, in the order main.ts runs them. A module may
// import from its own folder, an earlier phase or common/, never from a later
// phase: then each phase can be read, tested and replaced without the ones
// after it (README, "Development").
const SRC = path.resolve(import.meta.dirname, '..', '..', 'src')
const PHASES = ['common', 'inputs', 'source', 'build', 'layer', 'invoke', 'publish']

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file))
}

/** The phase of a file under src/, or undefined for main.ts and index.ts. */
const phaseOf = (file: string): string | undefined => {
  const top = path.relative(SRC, file).split(path.sep)
  return top.length > 1 ? top[0] : undefined
}

test('every folder of src/ is a known phase', () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
  expect(folders.sort()).toEqual([...PHASES].sort())
})

test('imports point only to the same phase, an earlier one or common/', () => {
  const forward: string[] = []
  for (const file of sources(SRC)) {
    const from = phaseOf(file)
    if (!from) continue
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = phaseOf(path.resolve(path.dirname(file), spec))
      if (to === undefined) forward.push(`${path.relative(SRC, file)} imports ${spec} (main)`)
      else if (PHASES.indexOf(to) > PHASES.indexOf(from)) {
        forward.push(`${path.relative(SRC, file)} imports ${spec}`)
      }
    }
  }
  expect(forward).toEqual([])
})
