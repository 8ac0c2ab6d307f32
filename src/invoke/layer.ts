import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Unpacks a layer zip into a new temporary folder, as Lambda unpacks it into
 * /opt, with the system `unzip` (Info-ZIP, on every runner image): it keeps
 * the modes and symlinks the layer was built with. The folder must have the
 * layer's executable bootstrap at its top.
 */
export async function unpackLayer(zip: string): Promise<string> {
  const stat = await fs.stat(zip).catch(() => undefined)
  if (!stat?.isFile()) throw new Error(`Layer zip ${zip} does not exist (or is not a file).`)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'picolisp-invoke-'))
  try {
    await run('unzip', ['-q', '-o', zip, '-d', dir]).catch((error: { stderr?: string }) => {
      throw new Error(`Layer ${zip} is not a zip file: ${String(error.stderr ?? error).trim()}`)
    })
    const bootstrap = await fs.stat(path.join(dir, 'bootstrap')).catch(() => undefined)
    if (!bootstrap?.isFile() || (bootstrap.mode & 0o111) === 0) {
      throw new Error(
        `${zip} is not a Lambda layer of this action: it has no executable bootstrap at its top.`,
      )
    }
    return dir
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true })
    throw error
  }
}
