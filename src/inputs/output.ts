import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { InputError } from './input-error.js'

/** The file the output check creates and removes beside the zip (never shipped as an extra file). */
export const PROBE_PREFIX = '.picolisp-layer-probe-'

/** A zip file starts with a local file header, or is empty: the end record alone. */
async function isZip(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    const magic = buffer.toString('latin1', 0, bytesRead)
    return magic === 'PK\x03\x04' || magic === 'PK\x05\x06'
  } finally {
    await handle.close()
  }
}

/**
 * The output must be creatable before minutes of work go into it: a file is
 * created and removed in its folder, or in the nearest folder above that
 * exists (the zip's writer makes the rest), so the check leaves nothing
 * behind. Only a zip may be replaced, so a wrong path cannot overwrite an
 * unrelated file.
 */
export async function checkOutputWritable(output: string): Promise<void> {
  const existing = await fs.lstat(output).catch(() => undefined)
  if (existing?.isDirectory()) {
    throw new InputError('output', `${output} is a directory; give the path of a .zip file.`)
  }
  if (existing && (!existing.isFile() || !(await isZip(output)))) {
    throw new InputError(
      'output',
      `${output} exists and is not a zip file; refusing to replace it.`,
    )
  }
  const probe = path.join(await nearestFolder(output), `${PROBE_PREFIX}${process.pid}`)
  try {
    await fs.writeFile(probe, '', { flag: 'wx' })
    await fs.rm(probe)
  } catch (error) {
    throw new InputError('output', `cannot write ${output}: ${(error as Error).message}`)
  }
}

/** The output's folder, or the nearest folder above it that exists. */
async function nearestFolder(output: string): Promise<string> {
  for (let dir = path.dirname(output); ; dir = path.dirname(dir)) {
    const found = await fs.stat(dir).catch(() => undefined)
    if (found?.isDirectory() || dir === path.dirname(dir)) return dir
    if (found) {
      throw new InputError('output', `cannot write ${output}: ${dir} is not a folder.`)
    }
  }
}
