import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { assembleLayer, type LayerParts } from '../../src/layer/assemble.js'
import { resolveExtraFiles } from '../../src/layer/extra-files.js'

// A handler's native code may need a library provided.al2023 lacks. Input
// 'shared-libraries' ships it in the layer's lib/, which Lambda puts on
// LD_LIBRARY_PATH (/opt/lib): the compatibility check counts it as present,
// and PicoLisp's `native` finds it there.

const REPO = path.resolve(import.meta.dirname, '..', '..')
let workspace: string
let buildDir: string

/** Compiles a shared object in the workspace with the system compiler. */
function sharedObject(name: string, source: string, link: string[] = []): void {
  execFileSync('cc', ['-shared', '-fPIC', '-x', 'c', '-o', name, '-', ...link], {
    cwd: workspace,
    input: source,
  })
}

beforeAll(async () => {
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-libraries-'))
  await fs.mkdir(path.join(workspace, 'native'))
  sharedObject('native/libanswer.so.1', 'int answer(void){return 42;}\n')
  // An extra file (under picoLisp/) that needs libanswer.so.1.
  sharedObject('mine.so', 'int answer(void);\nint twice(void){return 2*answer();}\n', [
    '-Lnative',
    '-l:libanswer.so.1',
  ])
  // A compiled tree with the machine's interpreter: what the check reads first.
  buildDir = path.join(workspace, 'build')
  await fs.mkdir(path.join(buildDir, 'bin'), { recursive: true })
  await fs.copyFile('/usr/bin/picolisp', path.join(buildDir, 'bin', 'picolisp'))
})

async function parts(sharedPatterns: string[]): Promise<LayerParts> {
  const output = path.join(workspace, 'layer.zip')
  return {
    buildDir,
    runtimeDir: path.join(REPO, 'runtime'),
    libraries: [],
    extraFiles: await resolveExtraFiles(['mine.so'], workspace, output),
    sharedLibraries: await resolveExtraFiles(sharedPatterns, workspace, output, 'shared-libraries'),
  }
}

test('without it, a library the base image lacks is refused, with the input to use named', async () => {
  await expect(
    assembleLayer(await parts([]), path.join(workspace, 'refused.zip'), '23.2'),
  ).rejects.toThrow(
    /picoLisp\/mine\.so needs libanswer\.so\.1, which provided\.al2023 does not have: list that library in input 'shared-libraries'/,
  )
  await expect(fs.stat(path.join(workspace, 'refused.zip'))).rejects.toThrow()
})

test("with it, the library ships as lib/<name> and native code finds it on Lambda's path", async () => {
  const zip = path.join(workspace, 'layer.zip')
  await assembleLayer(await parts(['native/*.so.*']), zip, '23.2')
  const opt = path.join(workspace, 'opt')
  execFileSync('unzip', ['-q', zip, '-d', opt])
  expect((await fs.stat(path.join(opt, 'lib', 'libanswer.so.1'))).isFile()).toBe(true)
  // What Lambda does: LD_LIBRARY_PATH includes /opt/lib.
  const out = execFileSync(
    'picolisp',
    [`-prinl (native "${path.join(opt, 'picoLisp', 'mine.so')}" "twice" 'I)`, '-bye'],
    { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: path.join(opt, 'lib') } },
  )
  expect(out.trim()).toBe('84')
})

test('names that are not shared objects, or twice the same name, are refused', async () => {
  await fs.writeFile(path.join(workspace, 'notes.txt'), 'x')
  await expect(
    assembleLayer(
      await parts(['native/*.so.*', 'notes.txt']),
      path.join(workspace, 'x.zip'),
      '23.2',
    ),
  ).rejects.toThrow("Input 'shared-libraries': must name shared objects")
  await fs.mkdir(path.join(workspace, 'copy'))
  await fs.copyFile(
    path.join(workspace, 'native', 'libanswer.so.1'),
    path.join(workspace, 'copy', 'libanswer.so.1'),
  )
  await expect(
    assembleLayer(await parts(['native/*.so.*', 'copy/*']), path.join(workspace, 'y.zip'), '23.2'),
  ).rejects.toThrow(
    "Input 'shared-libraries': copy/libanswer.so.1 and native/libanswer.so.1 would both be the layer's lib/libanswer.so.1",
  )
})

test('a pattern matching nothing names this input', async () => {
  await expect(parts(['missing/*.so'])).rejects.toThrow(
    "Input 'shared-libraries': 'missing/*.so' matches no file",
  )
})
