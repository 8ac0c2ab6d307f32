import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as tar from 'tar'

/** Every pil21 release and the rolling tarball unpack to this folder. */
export const SOURCE_ROOT = 'pil21'

/** Why an entry may not be unpacked, or undefined when it is safe. */
export function unsafeEntry(name: string, type: string, linkpath?: string): string | undefined {
  const escapes = (p: string): boolean =>
    path.posix.isAbsolute(p) || path.posix.normalize(p).split('/').includes('..')
  if (escapes(name)) return `'${name}' points outside the target folder`
  if (type === 'SymbolicLink' && linkpath !== undefined) {
    const target = path.posix.join(path.posix.dirname(name), linkpath)
    if (path.posix.isAbsolute(linkpath) || escapes(target)) {
      return `link '${name}' -> '${linkpath}' points outside the target folder`
    }
  }
  if (type === 'Link' && linkpath !== undefined && escapes(linkpath)) {
    return `hard link '${name}' -> '${linkpath}' points outside the target folder`
  }
  return undefined
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0)
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/**
 * Unpacks a PicoLisp source tarball into `dest` after checking every entry:
 * nothing may escape `dest`, and it must be a pil21 tree with src/Makefile.
 * Returns the path of the unpacked pil21 folder.
 */
export async function extractSource(tarball: string, dest: string): Promise<string> {
  const what = `The source tarball ${tarball}`
  if (!(await isGzip(tarball))) throw new Error(`${what} is not a gzip-compressed tar archive.`)
  const problems: string[] = []
  let hasMakefile = false
  try {
    await tar.t({
      file: tarball,
      strict: true,
      onReadEntry: (entry) => {
        const problem = unsafeEntry(entry.path, entry.type, entry.linkpath)
        if (problem) problems.push(problem)
        if (path.posix.normalize(entry.path) === `${SOURCE_ROOT}/src/Makefile`) hasMakefile = true
      },
    })
  } catch (error) {
    throw new Error(`${what} is not a readable tar archive: ${(error as Error).message}`)
  }
  if (problems.length > 0) {
    throw new Error(`${what} has unsafe entries, refusing to unpack it: ${problems.join('; ')}.`)
  }
  if (!hasMakefile) {
    throw new Error(
      `${what} is not a PicoLisp source tarball: it has no ${SOURCE_ROOT}/src/Makefile.`,
    )
  }
  await fs.mkdir(dest, { recursive: true })
  await tar.x({ file: tarball, cwd: dest, strict: true, preserveOwner: false })
  return path.join(dest, SOURCE_ROOT)
}
