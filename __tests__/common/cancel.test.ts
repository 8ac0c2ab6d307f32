import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import * as tar from 'tar'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { sha256, startTestSource, type TestSource } from '../support/pil-source.js'
import { type ActionRun, makeRunnerDirs, startAction } from '../support/run-action.js'

let root: string
let source: TestSource
let slowTarball: { path: string; sha256: string }
/** Runner folders whose tool cache holds a build of the test source. */
let cached: ActionRun

/** Live (not zombie) processes whose working folder or command line lies under `dir`. */
function processesUnder(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (stat[stat.lastIndexOf(')') + 2] === 'Z') continue
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) || cmdline.includes(dir)) {
        found.push(`${pid}: ${cmdline}`)
      }
    } catch {
      // Gone while we looked.
    }
  }
  return found
}

/** Waits for `ready`, checking every 50 ms, giving up (with `what` in the error) after 3 minutes. */
async function waitFor(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3600; i++) {
    if (await ready()) return
    await sleep(50)
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** Files a cancelled run must not leave: its work folder, zips, partial zips. */
async function leftovers(dirs: { workspace: string; temp: string }): Promise<string[]> {
  const work = (await fs.readdir(dirs.temp)).filter((n) => n.startsWith('picolisp-layer-'))
  const zips = (await fs.readdir(dirs.workspace, { recursive: true })).filter((n) =>
    /\.zip|partial/.test(n),
  )
  return [...work, ...zips]
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cancel-'))
  source = await startTestSource(root)
  // A "source" whose build never ends: make runs a child that sleeps.
  const staging = path.join(root, 'slow')
  await fs.mkdir(path.join(staging, 'pil21', 'src'), { recursive: true })
  await fs.writeFile(
    path.join(staging, 'pil21', 'src', 'Makefile'),
    // 'all' builds its first prerequisite first, before the native codec's rules
    'all: slow\nslow:\n\t@echo compiling slowly\n\tsleep 600\n',
  )
  const file = path.join(root, 'slow.tgz')
  await tar.c({ gzip: true, file, cwd: staging }, ['pil21'])
  slowTarball = { path: file, sha256: await sha256(file) }
  const started = await startAction(source.inputs, {
    dirs: await makeRunnerDirs(path.join(root, 'cached')),
  })
  cached = await started.done
  expect(cached.code, cached.stdout).toBe(0)
}, 300_000)

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

test.each(['SIGTERM', 'SIGINT'] as const)(
  '%s during make kills make and its children, removes the work folder and fails',
  async (signal) => {
    const dirs = await makeRunnerDirs(path.join(root, `make-${signal}`))
    const action = await startAction(
      {
        ...source.inputs,
        'source-url': slowTarball.path,
        'source-sha256': slowTarball.sha256,
        cache: 'false',
      },
      { dirs },
    )
    await waitFor('make and its sleep', () => processesUnder(dirs.temp).length >= 2)
    expect(action.stdout()).toMatch(/compiling slowly/)
    action.child.kill(signal)
    const run = await action.done
    expect(run.code).toBe(signal === 'SIGINT' ? 130 : 143)
    expect(run.stdout).toMatch(new RegExp(`^::error::Cancelled by ${signal}`, 'm'))
    // SIGKILL is on its way when the action exits; give the kernel a moment, then none may be left.
    await waitFor('the killed processes to go', () => processesUnder(dirs.temp).length === 0).catch(
      () => undefined,
    )
    expect(processesUnder(dirs.temp)).toEqual([])
    expect(await leftovers(dirs)).toEqual([])
  },
  300_000,
)

test('SIGTERM while the zip is written removes the partial zip', async () => {
  const dirs = await makeRunnerDirs(path.join(root, 'zip'))
  await fs.cp(cached.dirs.toolCache, dirs.toolCache, { recursive: true })
  // Incompressible, so writing the zip takes long enough to be caught at it.
  const big = await fs.open(path.join(dirs.workspace, 'big.bin'), 'w')
  for (let i = 0; i < 256; i++) await big.write(randomBytes(1024 * 1024))
  await big.close()
  const action = await startAction({ ...source.inputs, 'extra-files': 'big.bin' }, { dirs })
  const partial = async () =>
    (await fs.readdir(dirs.workspace)).some((name) => name.endsWith('.partial'))
  await waitFor('the partial zip', partial)
  action.child.kill('SIGTERM')
  const run = await action.done
  expect(run.code).toBe(143)
  expect(run.stdout).toMatch(/^::error::Cancelled by SIGTERM/m)
  expect(run.outputs['layer-zip']).toBeUndefined()
  expect(await leftovers(dirs)).toEqual([])
}, 300_000)
