import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { ZipArchive } from 'archiver'
import type { BuiltLayer } from '../../src/common/types.js'

/** Writes a real zip holding `files` (name → content) and describes it as the build phase would. */
export async function makeLayerZip(
  zipPath: string,
  files: Record<string, string | Buffer>,
  extra: Partial<BuiltLayer> = {},
): Promise<BuiltLayer> {
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipPath)
    const zip = new ZipArchive({ store: true })
    out.on('close', () => resolve())
    zip.on('error', reject)
    zip.pipe(out)
    for (const [name, content] of Object.entries(files)) {
      zip.append(content, { name, date: new Date('2020-01-01T00:00:00Z'), mode: 0o755 })
    }
    void zip.finalize()
  })
  const bytes = await readFile(zipPath)
  return {
    zipPath,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    codeSha256: createHash('sha256').update(bytes).digest('base64'),
    size: (await stat(zipPath)).size,
    picolispVersion: '23.2.8',
    architecture: 'x86_64',
    ...extra,
  }
}
