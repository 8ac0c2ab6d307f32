// Run by scripts/test-current-runner.sh, which builds the trixie root this needs
// (see vitest.current-runner.config.ts); not part of `npm test`.
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { checkCompatibility, parseReadelf } from '../../src/layer/compat.js'
import {
  FIXTURES,
  type FileServer,
  packPil21Tarball,
  serveFiles,
  sha256,
} from '../support/pil-source.js'
import { parseOutputFile, REPO } from '../support/run-action.js'

/** A Debian trixie root with the build packages and Node 24 in /opt/node: today's runner. */
const ROOT = requiredEnv('TRIXIE_ROOT')
const RELEASES = requiredEnv('PIL_RELEASES')
/** Inside the root: the action as the runner checks it out, and one runner folder per run. */
const ACTION = '/action'
const RUNS = '/runs'

function requiredEnv(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-current-runner.sh`)
  return value
}

/** Each release's pristine pil21 tree and license, as Debian's packages ship them. */
const TREES: Record<string, { tree: string; copyright: string }> = {
  '23.2': { tree: '/usr/lib/picolisp', copyright: '/usr/share/doc/picolisp/copyright' },
  '25.3': { tree: `${RELEASES}/25.3/src`, copyright: `${RELEASES}/25.3/copyright` },
  '26.9': { tree: `${RELEASES}/26.9/src`, copyright: `${RELEASES}/26.9/copyright` },
}

/** Packs a release's tree as its tarball (`pil21/`), as the other build tests do. */
async function packRelease(version: string, dir: string): Promise<string> {
  const { tree, copyright } = TREES[version]
  const source = { tree, copyright, version, release: version }
  return (await packPil21Tarball(dir, source)).path
}

let server: FileServer
const tarballs: Record<string, string> = {}

beforeAll(async () => {
  // The committed bundle and the runtime beside it, as a runner checks the action out.
  await fs.rm(path.join(ROOT, ACTION.slice(1)), { recursive: true, force: true })
  await fs.rm(path.join(ROOT, RUNS.slice(1)), { recursive: true, force: true })
  for (const part of ['dist', 'runtime']) {
    await fs.cp(path.join(REPO, part), path.join(ROOT, ACTION.slice(1), part), { recursive: true })
  }
  const sources = path.join(ROOT, RUNS.slice(1), 'sources')
  await fs.mkdir(sources, { recursive: true })
  const files: Record<string, string> = {}
  for (const version of Object.keys(TREES)) {
    tarballs[version] = await packRelease(version, sources)
    files[`/picoLisp-${version}.tgz`] = tarballs[version]
  }
  for (const [lib, file] of [
    ['json', 'json.l'],
    ['awscurl', 'libawscurl.l'],
  ]) {
    files[`/${lib}/${file}`] = path.join(FIXTURES, 'aw', lib, file)
    files[`/${lib}/LICENSE`] = path.join(FIXTURES, 'aw', lib, 'LICENSE')
  }
  // chroot keeps the network: the action inside downloads from this loopback server.
  server = await serveFiles(files)
})

afterAll(async () => {
  await server?.close()
})

/**
 * Runs a command inside the root with only the given environment (env(1), not a
 * shell: sh drops variables like INPUT_SOURCE-URL); resolves with its output.
 */
function inRoot(
  command: string[],
  env: Record<string, string>,
  cwd = '/',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`)
  const child = spawn('chroot', [
    ROOT,
    '/usr/bin/env',
    '-i',
    `--chdir=${cwd}`,
    ...assignments,
    ...command,
  ])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

/** trixie's LLVM (`llvm`, `clang`), and the others it has: ubuntu-24.04's is 18. */
const DEFAULT_LLVM = 19
const LLVMS = [17, 18, 19]

const PATH = '/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Runs dist/index.js in the root under Node 24, inputs as INPUT_* variables as
 * the runner sets them. LLVM 19 is the root's default (clang, opt, … on PATH, as
 * on a runner); another version is put first on PATH with its unversioned tools.
 */
async function runActionInRoot(version: string, llvm: number, inputs: Record<string, string>) {
  const run = `${RUNS}/${version}-llvm${llvm}`
  const dirs = { workspace: `${run}/workspace`, temp: `${run}/temp`, toolCache: `${run}/toolcache` }
  for (const dir of Object.values(dirs)) await fs.mkdir(path.join(ROOT, dir), { recursive: true })
  await fs.writeFile(path.join(ROOT, run, 'output'), '')
  await fs.writeFile(path.join(ROOT, run, 'summary'), '')
  const env: Record<string, string> = {
    PATH: llvm === DEFAULT_LLVM ? PATH : `/usr/lib/llvm-${llvm}/bin:${PATH}`,
    HOME: '/root',
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_OUTPUT: `${run}/output`,
    GITHUB_STEP_SUMMARY: `${run}/summary`,
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const result = await inRoot(['node', `${ACTION}/dist/index.js`], env, dirs.workspace)
  const outputs = parseOutputFile(await fs.readFile(path.join(ROOT, run, 'output'), 'utf8'))
  return { ...result, outputs, run }
}

async function inputsFor(version: string): Promise<Record<string, string>> {
  const aw = (lib: string, file: string) =>
    Promise.all([
      sha256(path.join(FIXTURES, 'aw', lib, file)),
      sha256(path.join(FIXTURES, 'aw', lib, 'LICENSE')),
    ])
  return {
    'picolisp-version': version,
    'source-url': `${server.url}/picoLisp-${version}.tgz`,
    'source-sha256': await sha256(tarballs[version]),
    'json-url': `${server.url}/json/json.l`,
    'json-sha256': (await aw('json', 'json.l')).join(','),
    'awscurl-url': `${server.url}/awscurl/libawscurl.l`,
    'awscurl-sha256': (await aw('awscurl', 'libawscurl.l')).join(','),
    // The root has every build package: nothing to install, and it must stay so.
    'install-dependencies': 'false',
  }
}

const INTERPRETER_FILES = ['bin/picolisp', 'lib/ext.so', 'lib/ht.so']

const CASES = Object.keys(TREES).flatMap((version) => LLVMS.map((llvm) => [version, llvm] as const))

test.each(CASES)(
  'PicoLisp %s built with LLVM %i on the trixie root under Node 24 loads on provided.al2023 and runs',
  async (version, llvm) => {
    const result = await runActionInRoot(version, llvm, await inputsFor(version))
    expect(result.code, `the action failed:\n${result.stdout}\n${result.stderr}`).toBe(0)
    // make was given that LLVM's opt flags (no -opaque-pointers from 17 on).
    expect(result.stdout).toMatch(new RegExp(`make -C \\S+ ASM=opt -O\\d LLVM=${llvm} `))
    const built = result.outputs['picolisp-version']
    expect(built).toMatch(new RegExp(`^${version.replace('.', '\\.')}\\.\\d+$`))
    // trixie's glibc 2.41 made fmod@GLIBC_2.38 the default; the build bound it to the old one.
    expect(result.stdout).toContain('Binding fmod to fmod@GLIBC_2.2.5')

    const layer = path.join(ROOT, result.run, 'layer')
    execFileSync('unzip', ['-q', path.join(ROOT, result.outputs['layer-zip']), '-d', layer])
    const home = path.join(layer, 'picoLisp')
    // The action's own check, run again here on the unpacked layer: nothing newer than 2.34.
    await expect(
      checkCompatibility(
        INTERPRETER_FILES.map((name) => ({ name, source: path.join(home, name) })),
        new Set(),
      ),
    ).resolves.toBeUndefined()
    const symbols = parseReadelf(
      execFileSync('readelf', ['-W', '-d', '--dyn-syms', path.join(home, 'bin/picolisp')], {
        encoding: 'utf8',
      }),
    ).glibcSymbols
    expect(symbols).toContainEqual({ symbol: 'fmod', version: '2.2.5' })

    // It runs where it was built (glibc 2.41) and on this Debian 12 machine's older 2.36.
    const printVersion = ['-prinl (glue "." (version T))', '-bye']
    const inside = await inRoot(
      [
        `${result.run}/layer/picoLisp/bin/picolisp`,
        `${result.run}/layer/picoLisp/lib.l`,
        ...printVersion,
      ],
      { PATH },
    )
    expect(inside.stdout.trim(), inside.stderr).toBe(built)
    const outside = execFileSync(
      path.join(home, 'bin/picolisp'),
      [path.join(home, 'lib.l'), ...printVersion],
      {
        encoding: 'utf8',
      },
    )
    expect(outside.trim()).toBe(built)
    console.log(
      `PicoLisp ${built}, LLVM ${llvm}: built in the trixie root, glibc ≤ 2.34, runs on glibc 2.41 and 2.36`,
    )
  },
  900_000,
)
