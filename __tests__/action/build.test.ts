import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sha256, startTestSource, type TestSource } from '../support/pil-source.js'
import { type ActionRun, makeRunnerDirs, runAction, unzipLayer } from '../support/run-action.js'
import { startRuntime } from '../support/runtime-process.js'

let root: string
let source: TestSource
let first: ActionRun
/** The version the tree under test declares, e.g. 23.2.8, and its tarball's name. */
let version: string
let tarballPath: string

/** `zipinfo` lines as name → unix mode string (e.g. -rwxr-xr-x). */
function zipModes(zip: string): Map<string, string> {
  const modes = new Map<string, string>()
  for (const line of execFileSync('zipinfo', [zip], { encoding: 'utf8' }).split('\n')) {
    const match = /^([-dl][rwx-]{9})\s.*\s(\S+)$/.exec(line)
    if (match) modes.set(match[2], match[1])
  }
  return modes
}

/** `unzip -v` lines as "name size crc", one per entry. */
function zipCrcs(zip: string): string[] {
  return execFileSync('unzip', ['-v', zip], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length === 8 && /^[0-9a-f]{8}$/.test(f[6]))
    .map((f) => `${f[7]} ${f[0]} ${f[6]}`)
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'action-build-'))
  source = await startTestSource(root)
  version = source.source.version
  tarballPath = `/${path.basename(source.tarball.path)}`
  first = await runAction(source.inputs, { dirs: await makeRunnerDirs(path.join(root, 'first')) })
})

afterAll(async () => {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

describe('a cold build from a real source tarball', () => {
  test('succeeds and sets every output', async () => {
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const { outputs } = first
    const zip = path.join(
      first.dirs.workspace,
      `picolisp-layer-${source.source.release}-x86_64.zip`,
    )
    expect(outputs['layer-zip']).toBe(zip)
    expect(outputs['layer-sha256']).toBe(await sha256(zip))
    expect(outputs['code-sha256']).toBe(
      Buffer.from(outputs['layer-sha256'], 'hex').toString('base64'),
    )
    expect(Number(outputs['layer-size'])).toBe((await fs.stat(zip)).size)
    expect(outputs['picolisp-version']).toBe(version)
    expect(outputs.architecture).toBe('x86_64')
    expect(outputs['cache-hit']).toBe('false')
  })

  test('downloaded the tarball and really compiled it', () => {
    expect(source.server.requests).toContain(tarballPath)
    expect(first.stdout).toMatch(/make -C \S+\/pil21\/src/)
  })

  test('writes a job summary with version, size, digest and phase times', () => {
    expect(first.summary).toContain(`PicoLisp ${version} Lambda layer (x86_64)`)
    expect(first.summary).toContain(first.outputs['layer-sha256'])
    expect(first.summary).toMatch(/PicoLisp \(cache, download, compile\)<\/td><td>\d+\.\d\d s/)
  })

  test('holds the runtime layout with explicit modes and nothing a handler cannot use', () => {
    const modes = zipModes(first.outputs['layer-zip'])
    expect(modes.get('bootstrap')).toBe('-rwxr-xr-x')
    expect(modes.get('picoLisp/bin/picolisp')).toBe('-rwxr-xr-x')
    expect(modes.get('picoLisp/lib.l')).toBe('-rw-r--r--')
    for (const name of [
      'picoLisp/COPYING',
      'picoLisp/lib/http.l',
      'picoLisp/lib/ht.so',
      'picoLisp/lib/ext.so',
      'picoLisp/lib/lambdajson.so',
      'picoLisp/json/json.l',
      'picoLisp/json/LICENSE',
      'picoLisp/awscurl/libawscurl.l',
      'picoLisp/awscurl/LICENSE',
    ]) {
      expect(modes.has(name), name).toBe(true)
    }
    expect(
      [...modes.keys()].some((n) => n.startsWith('picoLisp/runtime/') && n.endsWith('.l')),
    ).toBe(true)
    const names = [...modes.keys()]
    expect(
      names.filter((n) =>
        /\/src\/|\/test\/|\/doc\/|\.ll$|\.bc$|lib\/map$|runtime\/native\//.test(n),
      ),
    ).toEqual([])
    expect(names).toEqual([...names].sort())
  })

  test('the interpreter inside the zip runs and prints its version', async () => {
    expect(unzipLayer(first.outputs['layer-zip'], path.join(root, 'unpacked'))).toBe(version)
  })
})

test('the unpacked layer serves an invocation with the compiled interpreter and bundled libraries', async () => {
  const layer = path.join(root, 'served')
  execFileSync('unzip', ['-q', first.outputs['layer-zip'], '-d', layer])
  const runtime = await startRuntime(
    layer,
    {
      'app.l': [
        '(de main (Event Headers)',
        '   (list',
        '      (cons "echo" (cdr (assoc "msg" Event)))',
        '      (cons "json" (pack (json-fixture-loaded)))',
        '      (cons "awscurl" (pack (awscurl-fixture-loaded)))',
        '      (cons "version" (glue "." (version T)))',
        '      (cons "codec" (if lambda-runtime~*LambdaJsonNativeDecode "native" "lisp")) ) )',
      ].join('\n'),
    },
    'app.main',
  )
  try {
    const outcome = await runtime.emulator.invoke({ msg: 'hello' })
    expect(outcome.kind).toBe('response')
    expect(JSON.parse(outcome.body.toString())).toEqual({
      echo: 'hello',
      json: 'json',
      awscurl: 'awscurl',
      version,
      // the layer's lib/lambdajson.so, built with the interpreter, is in use
      codec: 'native',
    })
  } finally {
    await runtime.stop()
  }
})

describe('a second run with the same inputs', () => {
  let second: ActionRun
  beforeAll(async () => {
    source.server.requests.length = 0
    second = await runAction(source.inputs, { dirs: first.dirs })
  })

  test('is a cache hit that downloads and compiles nothing', () => {
    expect(second.code, second.stdout).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    expect(source.server.requests).not.toContain(tarballPath)
    expect(second.stdout).not.toMatch(/make -C/)
  })

  test('gives the byte-identical layer', () => {
    expect(second.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
  })
})

// The first build ran under ACTION_NODE (Node 24 in CI), this one under the Node
// running the tests: zlib's deflate output must not depend on which.
test(`two cold builds in separate runners, under the action's Node and under Node ${process.versions.node}, give the same layer-sha256`, async () => {
  const other = await runAction(source.inputs, {
    dirs: await makeRunnerDirs(path.join(root, 'other')),
    node: process.execPath,
  })
  expect(other.code, other.stdout).toBe(0)
  expect(other.outputs['cache-hit']).toBe('false')
  // Entry by entry first (name, size, CRC), so a difference names the file.
  const expected = zipCrcs(first.outputs['layer-zip'])
  expect(expected.length).toBeGreaterThan(50)
  expect(zipCrcs(other.outputs['layer-zip'])).toEqual(expected)
  expect(other.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
})

test('extra-files ship under picoLisp/ with their relative paths', async () => {
  const dirs = await makeRunnerDirs(path.join(root, 'extra'))
  await fs.cp(first.dirs.toolCache, dirs.toolCache, { recursive: true })
  await fs.mkdir(path.join(dirs.workspace, 'mylib', 'deep'), { recursive: true })
  await fs.writeFile(path.join(dirs.workspace, 'mylib', 'x.l'), '(de x () 1)\n')
  await fs.writeFile(path.join(dirs.workspace, 'mylib', 'deep', 'y.l'), '(de y () 2)\n')
  await fs.writeFile(path.join(dirs.workspace, 'mylib', 'notes.txt'), 'not shipped\n')
  const run = await runAction({ ...source.inputs, 'extra-files': 'mylib/**/*.l' }, { dirs })
  expect(run.code, run.stdout).toBe(0)
  const names = [...zipModes(run.outputs['layer-zip']).keys()]
  expect(names).toContain('picoLisp/mylib/x.l')
  expect(names).toContain('picoLisp/mylib/deep/y.l')
  expect(names).not.toContain('picoLisp/mylib/notes.txt')
})

test('SOURCE_DATE_EPOCH sets the entry times and so changes the digest', async () => {
  const dirs = await makeRunnerDirs(path.join(root, 'epoch'))
  await fs.cp(first.dirs.toolCache, dirs.toolCache, { recursive: true })
  const run = await runAction(source.inputs, { dirs, env: { SOURCE_DATE_EPOCH: '1700000000' } })
  expect(run.code, run.stdout).toBe(0)
  expect(run.outputs['layer-sha256']).not.toBe(first.outputs['layer-sha256'])
  expect(
    execFileSync('zipinfo', [run.outputs['layer-zip'], 'bootstrap'], { encoding: 'utf8' }),
  ).toMatch(/23-Nov-14 22:13/)
})

describe('a source given as a file', () => {
  test.each([
    ['a file:// URL', () => `file://${source.tarball.path}`],
    ['a local path', () => source.tarball.path],
  ])(
    '%s without a digest is read, and the warning prints its sha256 to pin',
    async (_, location) => {
      const dirs = await makeRunnerDirs()
      await fs.cp(first.dirs.toolCache, dirs.toolCache, { recursive: true })
      const run = await runAction(
        { ...source.inputs, 'source-url': location(), 'source-sha256': '' },
        { dirs },
      )
      expect(run.code, run.stdout).toBe(0)
      expect(run.stdout).toMatch(
        new RegExp(
          `::warning::No sha256 is known for \\S+${tarballPath.replaceAll('.', '\\.')}\\. It was ${source.tarball.sha256}`,
        ),
      )
      // Same digest, same key: the build compiled from the HTTP copy is reused.
      expect(run.outputs['cache-hit']).toBe('true')
      expect(run.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
    },
  )
})

test('missing build tools are installed with apt-get when allowed, then the build goes on', async () => {
  // A PATH like this machine's but without the LLVM toolchain, and an apt-get
  // that records its calls and "installs" clang and llvm by linking the real tools.
  const bin = path.join(root, 'no-llvm-bin')
  await fs.mkdir(bin)
  for (const name of await fs.readdir('/usr/bin')) {
    if (/^(clang|opt|llc|llvm-link)(-\d+)?$|^apt-get$/.test(name)) continue
    await fs.symlink(path.join('/usr/bin', name), path.join(bin, name))
  }
  const log = path.join(root, 'apt-get.log')
  await fs.writeFile(
    path.join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$DEBIAN_FRONTEND $*" >> ${log}`,
      'if [ "$1" = install ]; then',
      `  for t in clang opt llc llvm-link; do ln -s /usr/bin/$t ${bin}/$t; done`,
      'fi',
    ].join('\n'),
    { mode: 0o755 },
  )
  const run = await runAction({ ...source.inputs, cache: 'false' }, { env: { PATH: bin } })
  expect(run.code, run.stdout).toBe(0)
  expect(run.stdout).toMatch(/::group::Installing clang llvm/)
  expect((await fs.readFile(log, 'utf8')).trim().split('\n')).toEqual([
    'noninteractive update -q',
    'noninteractive install -y -q --no-install-recommends clang llvm',
  ])
  expect(run.outputs['layer-sha256']).toBe(first.outputs['layer-sha256'])
})
