import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { elfMachine } from '../../src/common/elf.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import { type ActionRun, makeRunnerDirs, runAction } from '../support/run-action.js'

// The action (dist/index.js) asked for an arm64 layer on this x86_64 machine:
// the cross builder compiles it, the layer is arm64 through and through, and a
// second run with the same tool cache is a cache hit, sysroot and all.

let root: string
let source: TestSource
let cold: ActionRun
let cached: ActionRun

const EM_AARCH64 = 183

beforeAll(async () => {
  if (process.arch !== 'x64') throw new Error('This file cross-builds arm64 on an x86_64 machine')
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cross-action-'))
  source = await startTestSource(root)
  const dirs = await makeRunnerDirs(path.join(root, 'runner'))
  const inputs = { ...source.inputs, architecture: 'arm64' }
  cold = await runAction(inputs, { dirs })
  cached = await runAction(inputs, { dirs })
}, 900_000)

afterAll(async () => {
  await source?.server.close()
  if (root) await fs.rm(root, { recursive: true, force: true })
})

describe('architecture: arm64 on an x86_64 runner', () => {
  test('cross-compiles and names the layer and its outputs arm64', () => {
    expect(cold.code, cold.stdout + cold.stderr).toBe(0)
    expect(cold.stdout).toContain(
      "Input 'architecture' is arm64 on this x86_64 runner: cross-compiling",
    )
    expect(cold.stdout).toMatch(/make -C \S+\/pil21\/src .*--target=aarch64-linux-gnu/)
    expect(cold.outputs.architecture).toBe('arm64')
    expect(cold.outputs['picolisp-version']).toBe(source.source.version)
    expect(cold.outputs['layer-zip']).toMatch(/-arm64\.zip$/)
    expect(cold.outputs['cache-hit']).toBe('false')
    expect(cold.summary).toContain(`PicoLisp ${source.source.version} Lambda layer (arm64)`)
  })

  test('ships an aarch64 interpreter and aarch64 shared objects only', async () => {
    const dir = path.join(root, 'unzipped')
    execFileSync('unzip', ['-q', cold.outputs['layer-zip'], '-d', dir])
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
    const elf: string[] = []
    for (const entry of entries.filter((e) => e.isFile())) {
      const file = path.join(entry.parentPath, entry.name)
      const machine = await elfMachine(file)
      if (machine === undefined) continue
      elf.push(path.relative(dir, file))
      expect([file, machine]).toEqual([file, EM_AARCH64])
    }
    expect(elf.sort()).toEqual([
      'picoLisp/bin/picolisp',
      'picoLisp/lib/ext.so',
      'picoLisp/lib/ht.so',
      // the native JSON codec, its IR made by the new interpreter under qemu-user
      'picoLisp/lib/lambdajson.so',
    ])
  })

  test('is a cache hit the second time: same zip, nothing compiled', () => {
    expect(cached.code, cached.stdout + cached.stderr).toBe(0)
    expect(cached.outputs['cache-hit']).toBe('true')
    expect(cached.stdout).not.toMatch(/make -C/)
    expect(cached.outputs['layer-sha256']).toBe(cold.outputs['layer-sha256'])
  })
})
