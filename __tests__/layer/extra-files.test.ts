import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { resolveExtraFiles } from '../../src/layer/extra-files.js'

let workspace: string
let output: string

/** What a workspace checked out by actions/checkout, after an earlier run, holds. */
beforeAll(async () => {
  workspace = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'extra-files-')))
  const files: Record<string, string> = {
    'app.l': '(de main ())\n',
    'lib/util.l': '(de util ())\n',
    '.git/config': '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n',
    '.github/workflows/ci.yml': 'on: push\n',
    '.env': 'TOKEN=secret\n',
    'lib/.hidden.l': '(de hidden ())\n',
    '..hidden.l': '(de dotdot ())\n',
    'layer.zip': 'PK\x03\x04 the output of an earlier run',
    'picolisp-layer-26.9-x86_64.zip': 'PK\x03\x04 a default-named layer',
    '.layer.zip.1234.partial': 'PK\x03\x04 left by a killed run',
  }
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(workspace, name)), { recursive: true })
    await fs.writeFile(path.join(workspace, name), content)
  }
  await fs.symlink('lib/util.l', path.join(workspace, 'alias.l'))
  output = path.join(workspace, 'layer.zip')
})

const names = async (...patterns: string[]) =>
  (await resolveExtraFiles(patterns, workspace, output)).map((f) => f.relative)

test("'**' ships no .git/, no dotfiles, no zips or partial files of the action's making", async () => {
  expect(await names('**')).toEqual(['alias.l', 'app.l', 'lib/util.l'])
})

test('a dotfile or dot-folder ships when a pattern names it with its leading dot', async () => {
  expect(await names('.env')).toEqual(['.env'])
  expect(await names('lib/.*.l')).toEqual(['lib/.hidden.l'])
  expect(await names('.github/**')).toEqual(['.github/workflows/ci.yml'])
  expect(await names('**/.hidden.l')).toEqual(['lib/.hidden.l'])
})

test('.git/ never ships, even named', async () => {
  await expect(names('.git/config')).rejects.toThrow(/'\.git\/config' matches no file.*\.git\//)
})

test("'..hidden.l' is a workspace file, not outside it", async () => {
  expect(await names('..hidden.l')).toEqual(['..hidden.l'])
})

test('a link to a workspace file ships under its own name, with the content of its target', async () => {
  const [alias] = await resolveExtraFiles(['alias.l'], workspace, output)
  expect(alias.relative).toBe('alias.l')
  expect(await fs.readFile(alias.path, 'utf8')).toBe('(de util ())\n')
})

test('a link to a file outside the workspace is refused', async () => {
  const outside = path.join(path.dirname(workspace), `${path.basename(workspace)}-secret.l`)
  await fs.writeFile(outside, '(de secret ())\n')
  await fs.symlink(outside, path.join(workspace, 'secret.l'))
  try {
    await expect(names('secret.l')).rejects.toThrow(/secret\.l is outside the workspace/)
  } finally {
    await fs.rm(path.join(workspace, 'secret.l'))
    await fs.rm(outside)
  }
})

test('a pattern reaching above the workspace is refused as outside, not skipped as hidden', async () => {
  const outside = path.join(path.dirname(workspace), `${path.basename(workspace)}-up.l`)
  await fs.writeFile(outside, '(de up ())\n')
  try {
    await expect(names(`../${path.basename(outside)}`)).rejects.toThrow(
      /-up\.l is outside the workspace/,
    )
  } finally {
    await fs.rm(outside)
  }
})

test("a link out of the workspace inside a dot-folder does not stop '**'", async () => {
  await fs.mkdir(path.join(workspace, '.venv', 'bin'), { recursive: true })
  await fs.symlink('/usr/bin/env', path.join(workspace, '.venv', 'bin', 'env'))
  try {
    expect(await names('**')).toEqual(['alias.l', 'app.l', 'lib/util.l'])
  } finally {
    await fs.rm(path.join(workspace, '.venv'), { recursive: true })
  }
})

test('the output zip never ships, whatever it is called', async () => {
  const other = path.join(workspace, 'lib', 'my-layer.zip')
  await fs.writeFile(other, 'PK\x03\x04')
  try {
    expect(await resolveExtraFiles(['lib/*'], workspace, other)).toEqual([
      expect.objectContaining({ relative: 'lib/util.l' }),
    ])
  } finally {
    await fs.rm(other)
  }
})
