import { execFileSync, spawn } from 'node:child_process'
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeApiEmulator } from '../../src/invoke/runtime-api-emulator.js'
import { layerEntries } from '../../src/layer/assemble.js'
import { writeZip } from '../../src/layer/zip.js'
import { buildRuntimeLayer } from '../support/runtime-layer.js'
import { makeTaskRoot, type RunningRuntime, startRuntime } from '../support/runtime-process.js'

// How the runtime fits into a layer: the bootstrap file, finding picoLisp/
// from wherever it is started, and the optional bundled libraries.

const cleanup: string[] = []
let rt: RunningRuntime | undefined

afterEach(async () => {
  await rt?.stop()
  rt = undefined
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('the runtime in its layer', () => {
  it('ships bootstrap as an executable POSIX sh script with LF line endings', async () => {
    const path = join(import.meta.dirname, '../../runtime/bootstrap')
    const text = await readFile(path, 'utf8')
    expect(text.startsWith('#!/bin/sh\n')).toBe(true)
    expect(text).not.toContain('\r')
    expect(text).toMatch(/^exec /m)
  })

  // The checkout's mode depends on the umask (0775 under umask 002) and on the
  // file system: what counts is the mode the layer's zip gives bootstrap.
  it.each([
    ['0775', 0o775],
    ['0644', 0o644],
  ])('packs bootstrap as -rwxr-xr-x from a checkout where it is %s', async (_name, mode) => {
    const dir = await mkdtemp(join(tmpdir(), 'bootstrap-mode-'))
    cleanup.push(dir)
    await copyFile(join(import.meta.dirname, '../../runtime/bootstrap'), join(dir, 'bootstrap'))
    await chmod(join(dir, 'bootstrap'), mode)
    const entries = await layerEntries({
      buildDir: dir,
      runtimeDir: dir,
      libraries: [],
      extraFiles: [],
      sharedLibraries: [],
    })
    await writeZip(entries, join(dir, 'layer.zip'))
    const listing = execFileSync('zipinfo', [join(dir, 'layer.zip'), 'bootstrap'], {
      encoding: 'utf8',
    })
    expect(listing).toMatch(/^-rwxr-xr-x .* bootstrap$/m)
  })

  it('starts through a relative bootstrap path and leaves no shell behind', async () => {
    const layer = await buildRuntimeLayer()
    const task = await makeTaskRoot({ 'h.l': '(de main (E H) (list (cons "pid" *Pid)))\n' })
    cleanup.push(layer, task)
    const emulator = await new RuntimeApiEmulator().start()
    const child = spawn('./bootstrap', [], {
      cwd: layer,
      env: { AWS_LAMBDA_RUNTIME_API: emulator.address, LAMBDA_TASK_ROOT: task, _HANDLER: 'h.main' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    emulator.attach(child)
    try {
      const o = await emulator.invoke({})
      // exec: the interpreter took over the bootstrap's process
      expect(JSON.parse(o.body.toString())).toEqual({ pid: child.pid })
    } finally {
      child.kill('SIGKILL')
      await emulator.stop()
    }
  })

  it("loads aw's libraries when the layer has them", async () => {
    const layer = await buildRuntimeLayer({
      'picoLisp/json/json.l': '(de json-encode (X) "from aw json.l")\n',
      'picoLisp/awscurl/libawscurl.l': '(setq *AwsCurlLoaded T)\n',
    })
    cleanup.push(layer)
    rt = await startRuntime(
      layer,
      { 'h.l': '(de main (E H) (pack (json-encode E) ", awscurl " *AwsCurlLoaded))\n' },
      'h.main',
    )
    cleanup.push(rt.taskRoot)
    const o = await rt.emulator.invoke({})
    expect(o.body.toString()).toBe('from aw json.l, awscurl T')
  })

  it('talks to a Runtime API on ::1', async () => {
    const layer = await buildRuntimeLayer()
    cleanup.push(layer)
    rt = await startRuntime(layer, { 'h.l': '(de main (E H) E)\n' }, 'h.main', {}, '::1')
    cleanup.push(rt.taskRoot)
    expect(rt.emulator.address).toMatch(/^\[::1\]:\d+$/)
    expect(JSON.parse((await rt.emulator.invoke({ a: [1] })).body.toString())).toEqual({ a: [1] })
  })
})
