import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import * as tar from 'tar'

/** One entry of a generated tarball: a file of `size` bytes (or `content`), a dir or a link. */
export type GeneratedEntry =
  | { path: string; type?: 'File'; size?: number; content?: string }
  | { path: string; type: 'Directory' }
  | { path: string; type: 'SymbolicLink' | 'Link'; linkpath: string }

const BLOCK = 512

/**
 * File content: a 4 KiB pseudo-random pattern repeated. It compresses a few
 * hundred times, like a real tarball bomb; zeros would trip node-tar's
 * ratio check of 1000 and test nothing of ours.
 */
const FILL = (() => {
  const pattern = Buffer.alloc(4096)
  let seed = 42
  for (let i = 0; i < pattern.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0
    pattern[i] = seed >>> 24
  }
  return Buffer.concat(Array.from({ length: 256 }, () => pattern))
})()

function header(entry: GeneratedEntry, size: number): Buffer {
  const h = new tar.Header({
    path: entry.path,
    type: entry.type ?? 'File',
    size,
    mode: entry.type === 'Directory' ? 0o755 : 0o644,
    mtime: new Date(0),
    linkpath: 'linkpath' in entry ? entry.linkpath : undefined,
  })
  const block = Buffer.alloc(BLOCK)
  h.encode(block, 0)
  return block
}

async function* tarBytes(entries: Iterable<GeneratedEntry>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const content = 'content' in entry && entry.content !== undefined ? entry.content : undefined
    const size =
      content !== undefined
        ? Buffer.byteLength(content)
        : 'size' in entry && entry.size
          ? entry.size
          : 0
    yield header(entry, size)
    if (content !== undefined) yield Buffer.from(content)
    else
      for (let left = size; left > 0; left -= FILL.length)
        yield FILL.subarray(0, Math.min(left, FILL.length))
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK))
  }
  yield Buffer.alloc(2 * BLOCK)
}

/**
 * Writes a gzipped tarball of `entries` without touching the disk for their
 * content, so a tarball that unpacks to gigabytes is a few megabytes here.
 */
export async function generateTarball(file: string, entries: Iterable<GeneratedEntry>) {
  await pipeline(
    Readable.from(tarBytes(entries)),
    createGzip({ level: 9 }),
    createWriteStream(file),
  )
}
