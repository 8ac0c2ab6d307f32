import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/json-pil.js'
import { pilBin, pilHome } from '../support/picolisp.js'

// runtime/main.l opens with an inventory of the runtime's globals, one a line.
// Derived from the code here, so that a new global must be listed to pass.

const run = promisify(execFile)
const runtimeDir = path.join(repoRoot, 'runtime')

/** The symbols runtime/*.l hold in their code, and those a top-level setq sets. */
async function codeNames(): Promise<{ syms: Set<string>; sets: string[] }> {
  const { stdout } = await run(pilBin, [
    path.join(pilHome, 'lib.l'),
    path.join(repoRoot, '__tests__', 'support', 'runtime-globals.l'),
    runtimeDir,
  ])
  const lines = stdout.split('\n').filter((line) => line !== '')
  const names = (kind: string) =>
    lines.filter((line) => line.startsWith(`${kind} `)).map((line) => line.slice(kind.length + 1))
  return { syms: new Set(names('sym')), sets: names('set') }
}

/** runtime/main.l's inventory: each line `#    NAME [NAME ...]  what it holds`. */
async function inventory(): Promise<Map<string, string>> {
  const main = await readFile(path.join(runtimeDir, 'main.l'), 'utf8')
  const block = /\n# The runtime's globals[^\n]*\n((?:#[^\n]*\n)+)/.exec(main)?.[1]
  if (!block)
    throw new Error("runtime/main.l: the inventory (# The runtime's globals ...) was not found")
  const listed = new Map<string, string>()
  for (const [, names, what] of block.matchAll(/^# {4}(\S+(?: \S+)*?) {2,}(\S.*)$/gm)) {
    for (const name of (names as string).split(' ')) listed.set(name, what as string)
  }
  return listed
}

let syms = new Set<string>()
let sets: string[] = []
let listed = new Map<string, string>()

beforeAll(async () => {
  ;({ syms, sets } = await codeNames())
  listed = await inventory()
})

describe("runtime/main.l's inventory of globals", () => {
  it('lists every *Lambda global of runtime/*.l', () => {
    const globals = [...syms].filter((name) => name.startsWith('*Lambda'))
    expect(globals.length).toBeGreaterThan(40)
    const missing = globals.filter((name) => !listed.has(name))
    expect(missing, 'add these to the inventory at the top of runtime/main.l').toEqual([])
  })

  it('lists every global set at the top level, constants too', () => {
    expect(sets).toContain('IPPROTO_TCP')
    expect(sets.filter((name) => !listed.has(name))).toEqual([])
  })

  it('lists only names the code holds, each with what it holds', () => {
    expect(listed.size).toBeGreaterThan(40)
    const stale = [...listed.keys()].filter((name) => !syms.has(name))
    expect(stale, 'remove these from the inventory: runtime/*.l no longer use them').toEqual([])
    for (const [name, what] of listed) expect(what.length, name).toBeGreaterThan(5)
  })
})
