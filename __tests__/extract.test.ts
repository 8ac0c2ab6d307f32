import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tar from 'tar'
import { expect, test } from 'vitest'
import { extractSource, unsafeEntry } from '../src/extract.js'

test.each([
  ['pil21/../../etc/cron.d/x', 'File', undefined],
  ['/etc/passwd', 'File', undefined],
  ['pil21/lib/x', 'SymbolicLink', '/etc/passwd'],
  ['pil21/lib/x', 'SymbolicLink', '../../../x'],
  ['pil21/lib/x', 'Link', '../outside'],
])('%s (%s -> %s) is refused', (name, type, link) => {
  expect(unsafeEntry(name, type, link)).toMatch(/points outside the target folder/)
})

test.each([
  ['pil21/src/Makefile', 'File', undefined],
  ['pil21/doc/ref.html', 'SymbolicLink', '../lib/ref.html'],
  ['pil21/lib/y', 'Link', 'pil21/lib/x'],
])('%s (%s -> %s) is safe', (name, type, link) => {
  expect(unsafeEntry(name, type, link)).toBeUndefined()
})

test('a safe tarball unpacks to its pil21 folder', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'extract-'))
  await fs.mkdir(path.join(dir, 'in', 'pil21', 'src'), { recursive: true })
  await fs.writeFile(path.join(dir, 'in', 'pil21', 'src', 'Makefile'), 'all:\n')
  await tar.c({ gzip: true, file: path.join(dir, 'ok.tgz'), cwd: path.join(dir, 'in') }, ['pil21'])
  const pil21 = await extractSource(path.join(dir, 'ok.tgz'), path.join(dir, 'out'))
  expect(pil21).toBe(path.join(dir, 'out', 'pil21'))
  expect(await fs.readFile(path.join(pil21, 'src', 'Makefile'), 'utf8')).toBe('all:\n')
})
