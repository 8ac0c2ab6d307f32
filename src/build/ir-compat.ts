import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'

/*
 * pil21 ships its LLVM IR (src/*.ll) generated, and a release's IR is what
 * that release's generator wrote. LLVM 18 removed the `sext` and `zext`
 * constant expressions: 23.2's base.ll has `i64 sext (i32 0 to i64)`, which
 * opt 18 and later refuse ("sext constexprs are no longer supported"). Such an
 * expression on an integer literal is just a number, so it is written as one;
 * the IR means the same to every LLVM, older ones included.
 */

/** `sext (i32 0 to i64)` / `zext (i8 -1 to i32)`: a cast of an integer literal. */
const LITERAL_CAST = /\b(sext|zext) \(i(\d+) (-?\d+) to i\d+\)/g

/** The value a literal cast stands for: sext keeps the number, zext reads its bits unsigned. */
function castValue(kind: string, bits: number, literal: string): string {
  const value = BigInt(literal)
  if (kind === 'sext' || value >= 0n) return value.toString()
  return (value + (1n << BigInt(bits))).toString()
}

/** The IR with every integer-literal sext/zext constant expression folded, and how many there were. */
export function foldLiteralCasts(ir: string): { ir: string; folded: number } {
  let folded = 0
  const result = ir.replace(LITERAL_CAST, (_, kind: string, bits: string, literal: string) => {
    folded++
    return castValue(kind, Number(bits), literal)
  })
  return { ir: result, folded }
}

/** Folds literal casts in every .ll file of pil21's src/ folder; files without any are not touched. */
export async function foldShippedIr(srcDir: string): Promise<void> {
  for (const name of (await fs.readdir(srcDir)).filter((n) => n.endsWith('.ll')).sort()) {
    const file = path.join(srcDir, name)
    const { ir, folded } = foldLiteralCasts(await fs.readFile(file, 'utf8'))
    if (folded === 0) continue
    await fs.writeFile(file, ir)
    core.info(
      `${name}: folded ${folded} sext/zext constant expression(s) into numbers (LLVM 18 removed them).`,
    )
  }
}
