import * as fs from 'node:fs/promises'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as tar from 'tar'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  type FileServer,
  serveFiles,
  startTestSource,
  type TestSource,
} from '../support/pil-source.js'
import { type ActionRun, makeRunnerDirs, runAction } from '../support/run-action.js'

let root: string
let source: TestSource
let broken: FileServer

/** A tarball made of `files` (path → content, or `{ link }` for a symlink). */
async function makeTarball(
  name: string,
  files: Record<string, string | { link: string }>,
): Promise<string> {
  const staging = path.join(root, `staging-${name}`)
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(staging, file)), { recursive: true })
    if (typeof content === 'string') await fs.writeFile(path.join(staging, file), content)
    else await fs.symlink(content.link, path.join(staging, file))
  }
  const tarball = path.join(root, `${name}.tgz`)
  await tar.c({ gzip: true, file: tarball, cwd: staging }, ['pil21'])
  return tarball
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'action-errors-'))
  source = await startTestSource(root)
  const notGzip = path.join(root, 'not-gzip.tgz')
  await fs.writeFile(notGzip, '<html>a mirror error page</html>\n')
  broken = await serveFiles({
    '/not-gzip.tgz': notGzip,
    '/no-makefile.tgz': await makeTarball('no-makefile', { 'pil21/README': 'no build here\n' }),
    '/escaping-link.tgz': await makeTarball('escaping-link', {
      'pil21/src/Makefile': 'all:\n',
      'pil21/lib/passwd': { link: '../../../etc/passwd' },
    }),
    '/failing.tgz': await makeTarball('failing', {
      // As pil21's Makefile, 'all' builds the interpreter first, before the rules the
      // action adds for the native JSON codec.
      'pil21/src/Makefile':
        'all: picolisp\npicolisp:\n\t@echo "base.ll: error: expected instruction opcode"\n\t@exit 3\n',
    }),
  })
})

afterAll(async () => {
  await broken.close()
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
})

/** Runs the action expecting failure; checks it names the problem and left no zip behind. */
async function expectFailure(
  inputs: Record<string, string>,
  message: RegExp,
  env?: Record<string, string>,
): Promise<ActionRun> {
  const run = await runAction({ ...source.inputs, ...inputs }, { env })
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/^::error::/m)
  expect(run.stdout).toMatch(message)
  const zips = (await fs.readdir(run.dirs.workspace, { recursive: true })).filter((f) =>
    /\.zip|partial/.test(f),
  )
  expect(zips).toEqual([])
  expect(run.outputs['layer-zip']).toBeUndefined()
  return run
}

test('a malformed version', async () => {
  await expectFailure(
    { 'picolisp-version': '2026.6' },
    /Input 'picolisp-version': must be a release as YY\.M/,
  )
})

test('an unknown architecture', async () => {
  await expectFailure({ architecture: 'sparc' }, /Input 'architecture': must be x86_64 or arm64/)
})

test('an unknown builder', async () => {
  await expectFailure(
    { builder: 'podman' },
    /Input 'builder': must be 'native' or 'docker', got 'podman'/,
  )
})

test('a builder image without the Docker builder', async () => {
  await expectFailure(
    { 'builder-image': 'debian:trixie' },
    /Input 'builder-image': applies only to builder 'docker', but 'builder' is 'native'/,
  )
})

test('sysroot sources for a build that is not a cross build', async () => {
  await expectFailure(
    { 'sysroot-sources': 'deb http://mirror.example/debian bookworm main' },
    /Input 'sysroot-sources': applies only to a cross build .* but this is a native build for x86_64: remove it/,
  )
})

test('a malformed sha256', async () => {
  await expectFailure(
    { 'source-sha256': 'abc123' },
    /Input 'source-sha256': must be a sha256 digest of 64 hexadecimal/,
  )
})

test('a mismatching sha256 names both digests and deletes the download', async () => {
  const wrong = 'ab'.repeat(32)
  const run = await expectFailure(
    { 'source-sha256': wrong },
    new RegExp(`expected ${wrong}, got ${source.tarball.sha256}\\. The download was deleted`),
  )
  const left = (await fs.readdir(run.dirs.temp, { recursive: true })).filter((f) =>
    f.endsWith('.tgz'),
  )
  expect(left).toEqual([])
})

test('a 404 names the URL and the status', async () => {
  await expectFailure(
    { 'source-url': `${source.server.url}/picoLisp-99.1.tgz` },
    /Input 'source-url': could not download http:\/\/127\.0\.0\.1:\d+\/picoLisp-99\.1\.tgz: the server answered HTTP 404\. Without network access, mirror the tarball and set 'source-url' to the copy/,
  )
})

test('an unreachable host is reported after the retries', async () => {
  const closed = net.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as net.AddressInfo
  await new Promise((resolve) => closed.close(resolve))
  // The tool cache's real back-off, with its wait set to 0 s
  const retryAtOnce = pathToFileURL(
    path.join(import.meta.dirname, '..', 'support', 'retry-at-once.mjs'),
  )
  const run = await expectFailure(
    { 'source-url': `http://127.0.0.1:${port}/picoLisp-23.2.tgz` },
    /could not download http:\/\/127\.0\.0\.1:\d+\/picoLisp-23\.2\.tgz: the host is unreachable \(ECONNREFUSED\) after 3 attempts/,
    { NODE_OPTIONS: `--import=${retryAtOnce}` },
  )
  expect(run.stdout.match(/^Waiting 0 seconds before trying again$/gm)).toHaveLength(2)
})

test('a file that is not a gzip tarball', async () => {
  await expectFailure(
    { 'source-url': `${broken.url}/not-gzip.tgz`, 'source-sha256': '' },
    /is not a gzip-compressed tar archive/,
  )
})

test('a tarball without pil21/src/Makefile', async () => {
  await expectFailure(
    { 'source-url': `${broken.url}/no-makefile.tgz`, 'source-sha256': '' },
    /is not a PicoLisp source tarball: it has no pil21\/src\/Makefile/,
  )
})

test('a tarball with a link pointing outside is not unpacked', async () => {
  await expectFailure(
    { 'source-url': `${broken.url}/escaping-link.tgz`, 'source-sha256': '' },
    /unsafe entries, refusing to unpack it: link 'pil21\/lib\/passwd' -> '\.\.\/\.\.\/\.\.\/etc\/passwd'/,
  )
})

test('a compile failure shows the end of the make log', async () => {
  await expectFailure(
    { 'source-url': `${broken.url}/failing.tgz`, 'source-sha256': '' },
    /Compiling PicoLisp failed \(make exited with 2\)\. Last lines of the log[\s\S]*expected instruction opcode/,
  )
})

test('a version that does not match the built interpreter', async () => {
  const built = source.source.version.replaceAll('.', '\\.')
  await expectFailure(
    { 'picolisp-version': '23.4' },
    new RegExp(
      `Input 'picolisp-version': asks for 23\\.4, but the interpreter built from the source tarball reports ${built}`,
    ),
  )
})

test('an extra-files glob that matches nothing', async () => {
  await expectFailure(
    { 'extra-files': 'handlers/*.l' },
    /Input 'extra-files': 'handlers\/\*\.l' matches no file/,
  )
})

test('an extra file outside the workspace', async () => {
  const dirs = await makeRunnerDirs()
  await fs.writeFile(path.join(dirs.workspace, '..', 'secret.l'), '(de secret ())\n')
  const run = await runAction({ ...source.inputs, 'extra-files': '../secret.l' }, { dirs })
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/Input 'extra-files': \S+secret\.l is outside the workspace/)
})

test('an output that cannot be written', async () => {
  const dirs = await makeRunnerDirs()
  await fs.writeFile(path.join(dirs.workspace, 'a-file'), '')
  const run = await runAction({ ...source.inputs, output: 'a-file/layer.zip' }, { dirs })
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/Input 'output': cannot write \S+a-file\/layer\.zip/)
})

test('a bundled library whose digest does not match', async () => {
  await expectFailure(
    { 'json-sha256': 'cd'.repeat(32) },
    /The sha256 of json\.l does not match \(input 'json-sha256'\): expected (cd){32}, got [0-9a-f]{64}/,
  )
})

test('a library URL without its digest', async () => {
  await expectFailure({ 'json-sha256': '' }, /Input 'json-url': needs 'json-sha256'/)
})

test('missing build tools with installing switched off name the exact command', async () => {
  // A PATH with make and binutils but no LLVM toolchain.
  const bin = path.join(root, 'partial-bin')
  await fs.mkdir(bin, { recursive: true })
  for (const tool of ['make', 'pkg-config', 'readelf', 'strip', 'sh', 'uname', 'cut']) {
    await fs.symlink(`/usr/bin/${tool}`, path.join(bin, tool)).catch(() => undefined)
  }
  const run = await runAction(
    { ...source.inputs, 'install-dependencies': 'false', cache: 'false' },
    { env: { PATH: bin } },
  )
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(
    /Missing build dependencies: clang, llvm\. Install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends clang llvm/,
  )
})
