import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { entryDate, writeZip, type ZipEntry } from '../../src/layer/zip.js'
import { sha256 } from '../support/pil-source.js'

let dir: string
let entries: ZipEntry[]

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zip-'))
  await fs.writeFile(path.join(dir, 'b.l'), '(de b ())\n')
  await fs.writeFile(path.join(dir, 'run'), '#!/bin/sh\n')
  entries = [
    { name: 'z/b.l', source: path.join(dir, 'b.l'), mode: 0o644 },
    { name: 'bootstrap', source: path.join(dir, 'run'), mode: 0o755 },
  ]
})

test('the same entries give the same bytes, whatever their order and file times', async () => {
  await writeZip(entries, path.join(dir, 'one.zip'))
  await fs.utimes(path.join(dir, 'b.l'), new Date(), new Date('2001-02-03'))
  await writeZip([...entries].reverse(), path.join(dir, 'two.zip'))
  expect(await sha256(path.join(dir, 'two.zip'))).toBe(await sha256(path.join(dir, 'one.zip')))
})

test('entries are sorted, with the modes given and the fixed 1980 time', async () => {
  await writeZip(entries, path.join(dir, 'listed.zip'))
  const listing = execFileSync('zipinfo', [path.join(dir, 'listed.zip')], { encoding: 'utf8' })
  const lines = listing.split('\n').filter((l) => /^-r/.test(l))
  expect(lines[0]).toMatch(/^-rwxr-xr-x .* 80-Jan-01 00:00 bootstrap$/)
  expect(lines[1]).toMatch(/^-rw-r--r-- .* 80-Jan-01 00:00 z\/b\.l$/)
})

test('SOURCE_DATE_EPOCH is honoured and checked', () => {
  expect(entryDate('1700000000').toISOString()).toBe('2023-11-14T22:13:20.000Z')
  expect(entryDate('').toISOString()).toBe('1980-01-01T00:00:00.000Z')
  expect(entryDate('0').toISOString()).toBe('1980-01-01T00:00:00.000Z')
  expect(() => entryDate('yesterday')).toThrow(/SOURCE_DATE_EPOCH must be whole seconds/)
})

test('a failure leaves neither the zip nor a partial file', async () => {
  const output = path.join(dir, 'failed.zip')
  const missing = { name: 'gone', source: path.join(dir, 'does-not-exist'), mode: 0o644 as const }
  await expect(writeZip([...entries, missing], output)).rejects.toThrow(/does-not-exist/)
  expect((await fs.readdir(dir)).filter((f) => f.includes('failed'))).toEqual([])
})

test("makes the output's folder, which the output check only tried", async () => {
  const output = path.join(dir, 'new', 'deeper', 'layer.zip')
  await writeZip(entries, output)
  expect(await sha256(output)).toBe(await sha256(path.join(dir, 'one.zip')))
})
