import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { parseOutput } from '../../src/inputs/build-inputs.js'
import { checkOutputWritable } from '../../src/inputs/output.js'

let dir: string
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'output-'))
})

test('output is a .zip path resolved in the workspace, the default when empty', () => {
  expect(parseOutput('', '/ws', 'picolisp-layer-26.9-x86_64.zip')).toBe(
    '/ws/picolisp-layer-26.9-x86_64.zip',
  )
  expect(parseOutput('out/layer.ZIP', '/ws', 'x.zip')).toBe('/ws/out/layer.ZIP')
})

test.each(['../victim.txt', 'layer', 'layer.zip.txt', '/etc/passwd'])(
  "'%s' is refused: output must name a .zip",
  (value) => {
    expect(() => parseOutput(value, '/ws', 'x.zip')).toThrow(/Input 'output': must name a \.zip/)
  },
)

test('an output containing a newline is refused', () => {
  expect(() => parseOutput('layer.zip\n::warning::x.zip', '/ws', 'x.zip')).toThrow(
    /Input 'output': must be one path on one line/,
  )
})

test('an existing file that is not a zip is never replaced', async () => {
  const victim = path.join(dir, 'victim.zip')
  await fs.writeFile(victim, 'precious data\n')
  await expect(checkOutputWritable(victim)).rejects.toThrow(
    /Input 'output': \S+victim\.zip exists and is not a zip file; refusing to replace it/,
  )
  expect(await fs.readFile(victim, 'utf8')).toBe('precious data\n')
})

test('an existing zip, even an empty one, may be replaced', async () => {
  const zip = path.join(dir, 'old.zip')
  await fs.writeFile(zip, Buffer.from('PK\x05\x06'.padEnd(22, '\0'), 'latin1'))
  await expect(checkOutputWritable(zip)).resolves.toBeUndefined()
})

test('writability is tried with a real file in the target folder, which is removed', async () => {
  const folder = await fs.mkdtemp(path.join(dir, 'target-'))
  await checkOutputWritable(path.join(folder, 'layer.zip'))
  expect(await fs.readdir(folder)).toEqual([])
})

test('for a folder yet to be made, it is tried in the nearest one that exists, and nothing is made', async () => {
  const folder = await fs.mkdtemp(path.join(dir, 'above-'))
  await checkOutputWritable(path.join(folder, 'new', 'deeper', 'layer.zip'))
  expect(await fs.readdir(folder)).toEqual([])
})

test('a file where a folder of the path must be is named', async () => {
  const file = path.join(dir, 'plain-file')
  await fs.writeFile(file, 'x')
  await expect(checkOutputWritable(path.join(file, 'sub', 'layer.zip'))).rejects.toThrow(
    /Input 'output': cannot write \S+sub\/layer\.zip: \S+plain-file is not a folder/,
  )
})

test('a folder whose files cannot be created is named, even for root', async () => {
  // /proc refuses new files to everyone, where an access() check says root may write.
  await expect(checkOutputWritable('/proc/layer.zip')).rejects.toThrow(
    /Input 'output': cannot write \/proc\/layer\.zip/,
  )
  // Also below it: no folder is made on the way (mkdir -p there failed before the file did)
  await expect(checkOutputWritable('/proc/new/layer.zip')).rejects.toThrow(
    /Input 'output': cannot write \/proc\/new\/layer\.zip/,
  )
})
