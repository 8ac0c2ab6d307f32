import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { prepareDebianImages } from '../support/docker.js'
import { startTestSource, type TestSource } from '../support/pil-source.js'
import {
  type ActionRun,
  makeRunnerDirs,
  type RunnerDirs,
  runAction,
  unzipLayer,
} from '../support/run-action.js'

/*
 * The whole action (dist/index.js) with `builder: docker`, run as a non-root
 * user in the docker group, as GitHub's runner user is: the compile in a
 * container of a Debian bookworm base, the version check, the layer, the
 * cache, and a second image that gives another cache key.
 */

const prepared = prepareDebianImages()
if ('skip' in prepared) console.warn(`Skipping the Docker action tests. ${prepared.skip}`)
const images = 'images' in prepared ? prepared.images : undefined

/** The runner's user: not root, and in the docker group, which may use the daemon's socket. */
function runnerUser(): { uid: number; gid: number } {
  const group = execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')
  return { uid: 4321, gid: Number(group[2]) }
}

/** Files and folders under `dir` whose owner is not `uid`. */
async function notOwnedBy(dir: string, uid: number): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true })
  const others: string[] = []
  for (const entry of entries) {
    if ((await fs.lstat(path.join(dir, entry))).uid !== uid) others.push(entry)
  }
  return others
}

describe.skipIf(!images)('the action with builder: docker, as a non-root runner user', () => {
  let root: string
  let source: TestSource
  let dirs: RunnerDirs
  let inputs: Record<string, string>
  const user = images ? runnerUser() : { uid: 0, gid: 0 }
  let first: ActionRun
  const run = (image: string) =>
    runAction({ ...inputs, 'builder-image': image }, { dirs, user, env: { HOME: dirs.temp, PATH } })
  // PATH without root's own folders, which that user may not look into.
  const PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.startsWith('/root'))
    .join(':')

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'docker-action-'))
    await fs.chmod(root, 0o755)
    source = await startTestSource(root)
    dirs = await makeRunnerDirs(path.join(root, 'runner'))
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, path.join(root, 'runner')])
    inputs = { ...source.inputs, builder: 'docker', 'include-awscurl': 'false' }
    first = await run(images?.bookworm ?? '')
  }, 900_000)

  afterAll(async () => {
    await source?.server.close()
    await fs.rm(root, { recursive: true, force: true })
  })

  test('builds the layer in a container, as the runner’s user, with no network', () => {
    expect(first.code, first.stdout + first.stderr).toBe(0)
    expect(first.stdout).toMatch(
      new RegExp(
        `docker run --rm --platform linux/amd64 --network none --user ${user.uid}:${user.gid} [\\s\\S]*make -C /work/tree/src`,
      ),
    )
    expect(first.outputs['picolisp-version']).toBe(source.source.version)
    expect(first.outputs.architecture).toBe('x86_64')
    expect(first.outputs['cache-hit']).toBe('false')
  })

  test('the layer’s interpreter runs and reports the version', async () => {
    const unpacked = path.join(root, 'unpacked')
    expect(unzipLayer(first.outputs['layer-zip'], unpacked)).toBe(source.source.version)
  })

  test('cleans up its work folder and leaves only files of the runner’s user', async () => {
    // Who owns what make writes is checked in docker-builder.test.ts, before any cleanup.
    expect(await fs.readdir(dirs.temp)).not.toContainEqual(
      expect.stringMatching(/^picolisp-layer-/),
    )
    expect(await notOwnedBy(path.join(root, 'runner'), user.uid)).toEqual([])
  })

  test('the same image again is a cache hit: nothing compiled', async () => {
    const again = await run(images?.bookworm ?? '')
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.outputs['cache-hit']).toBe('true')
    expect(again.stdout).not.toMatch(/make -C/)
  })

  test('another image is another cache key, and a new build', async () => {
    const key = (r: ActionRun) => /Build cache key: (\S+)/.exec(r.stdout)?.[1]
    const trixie = await run(images?.trixie ?? '')
    expect(trixie.code, trixie.stdout + trixie.stderr).toBe(0)
    expect(key(trixie)).toMatch(/^picolisp-.*-docker-image[0-9a-f]{12}-recipe[0-9a-f]{12}-/)
    expect(key(trixie)).not.toBe(key(first))
    expect(trixie.outputs['cache-hit']).toBe('false')
    expect(trixie.stdout).toMatch(/make -C \/work\/tree\/src/)
  }, 900_000)
})
