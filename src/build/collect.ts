import * as fs from 'node:fs/promises'
import * as path from 'node:path'

/**
 * The parts of a compiled pil21 tree a handler can use. Left out: sources,
 * docs, tests, build intermediates, the editor and the browser-side files.
 */
export function isRuntimeFile(relative: string): boolean {
  const p = relative.split(path.sep).join('/')
  if (['bin/picolisp', 'lib.l', 'ext.l', 'COPYING'].includes(p)) return true
  if (p.startsWith('loc/')) return true
  if (!p.startsWith('lib/')) return false
  const name = path.posix.basename(p)
  return !['map', 'vip', 'vip.l', 'bash_completion'].includes(name) && !/\.(js|css)$/.test(name)
}

/** Every regular file under `dir`, relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
}

/** Copies the runtime part of a compiled pil21 tree into `dest` (what the cache keeps). */
export async function collectBuild(pil21Dir: string, dest: string): Promise<void> {
  for (const relative of (await listFiles(pil21Dir)).filter(isRuntimeFile)) {
    await fs.mkdir(path.dirname(path.join(dest, relative)), { recursive: true })
    await fs.copyFile(path.join(pil21Dir, relative), path.join(dest, relative))
    await fs.chmod(path.join(dest, relative), (await fs.stat(path.join(pil21Dir, relative))).mode)
  }
}
