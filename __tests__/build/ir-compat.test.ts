import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { foldLiteralCasts, foldShippedIr } from '../../src/build/ir-compat.js'

test("23.2's sext constant expressions become the numbers they stand for", () => {
  // As in 23.2's base.ll, which LLVM 18 and later refuse.
  const ir =
    '@$Nil = global [6 x i64] [\n  i64 0,\n  i64 sext (i32 0 to i64),\n  i64 sext (i32 -8 to i64)\n]\n'
  expect(foldLiteralCasts(ir)).toEqual({
    ir: '@$Nil = global [6 x i64] [\n  i64 0,\n  i64 0,\n  i64 -8\n]\n',
    folded: 2,
  })
})

test('zext reads the literal as unsigned; other constant expressions are left alone', () => {
  expect(foldLiteralCasts('i32 zext (i8 -1 to i32), i64 zext (i32 7 to i64)').ir).toBe(
    'i32 255, i64 7',
  )
  const untouched =
    'i64 ptrtoint (i8* getelementptr (i8, i8* @X, i32 8) to i64), i64 sext (i32 ptrtoint (i8* @Y to i32) to i64)'
  expect(foldLiteralCasts(untouched)).toEqual({ ir: untouched, folded: 0 })
})

test("the folded IR is valid for this machine's opt, and only files that change are written", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-compat-'))
  await fs.writeFile(
    path.join(dir, 'base.ll'),
    '@X = global [2 x i64] [i64 1, i64 sext (i32 -2 to i64)]\n',
  )
  await fs.writeFile(path.join(dir, 'ext.ll'), '@Y = global i64 3\n')
  const before = new Date('2020-01-01T00:00:00Z')
  await fs.utimes(path.join(dir, 'ext.ll'), before, before)
  await foldShippedIr(dir)
  expect(await fs.readFile(path.join(dir, 'base.ll'), 'utf8')).toBe(
    '@X = global [2 x i64] [i64 1, i64 -2]\n',
  )
  expect((await fs.stat(path.join(dir, 'ext.ll'))).mtime).toEqual(before)
  execFileSync('opt', ['-o', path.join(dir, 'base.bc'), path.join(dir, 'base.ll')])
})
