import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import * as tar from 'tar'

/** Every pil21 release and the rolling tarball unpack to this folder. */
export const SOURCE_ROOT = 'pil21'

/** How much a source tarball may unpack to. */
export interface ExtractLimits {
  /** Sum of the entries' sizes. */
  bytes: number
  entries: number
}

/**
 * pil21 26.9 unpacks to about 9.6 MB in 175 entries (23.2 and 25.3 are smaller):
 * these leave 25 times the room in bytes and 50 times in entries for releases to
 * grow, and still stop a tarball bomb long before it fills a disk or hours go by.
 */
export const LIMITS: ExtractLimits = { bytes: 256 * 1024 * 1024, entries: 10_000 }

/**
 * Small reads keep memory flat: one gzip chunk can unpack to about a thousand
 * times its size, and the parser holds what one chunk gives at once.
 */
const READ_SIZE = 16 * 1024

/** A link cannot be followed this many times on one path, as the kernel's ELOOP. */
const MAX_HOPS = 40

/**
 * Where `name` (relative to the target folder) lands once the tarball's
 * symlinks (`links`: entry name → link text) are followed as the kernel
 * follows them, or undefined when it leaves the target folder or loops.
 */
export function resolveInside(
  name: string,
  links: ReadonlyMap<string, string>,
): string | undefined {
  const resolved: string[] = []
  const pending = name.split('/').reverse()
  let hops = 0
  while (pending.length > 0) {
    const part = pending.pop() as string
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (resolved.length === 0) return undefined
      resolved.pop()
      continue
    }
    resolved.push(part)
    const target = links.get(resolved.join('/'))
    if (target === undefined) continue
    if (++hops > MAX_HOPS || path.posix.isAbsolute(target)) return undefined
    resolved.pop()
    pending.push(...target.split('/').reverse())
  }
  return resolved.join('/')
}

/** A tarball entry as the listing pass saw it. */
export interface ListedEntry {
  name: string
  type: string
  linkpath?: string
}

/** Symlinks of the tarball, by normalised name. */
export function symlinksOf(entries: ListedEntry[]): Map<string, string> {
  const links = new Map<string, string>()
  for (const e of entries) {
    if (e.type === 'SymbolicLink' && e.linkpath !== undefined) {
      links.set(path.posix.normalize(e.name).replace(/\/$/, ''), e.linkpath)
    }
  }
  return links
}

/**
 * Why an entry may not be unpacked, or undefined when it is safe. Paths and
 * link targets are resolved through the tarball's own symlinks (`links`).
 */
export function unsafeEntry(
  entry: ListedEntry,
  links: ReadonlyMap<string, string> = new Map(),
): string | undefined {
  const { name, type, linkpath } = entry
  const parent = path.posix.dirname(name)
  if (path.posix.isAbsolute(name) || resolveInside(name, new Map()) === undefined) {
    return `'${name}' points outside the target folder`
  }
  if (resolveInside(parent, links) === undefined) {
    return `'${name}' is reached through a link that points outside the target folder`
  }
  if (type === 'SymbolicLink' && linkpath !== undefined) {
    if (
      path.posix.isAbsolute(linkpath) ||
      resolveInside(`${parent}/${linkpath}`, links) === undefined
    ) {
      return `link '${name}' -> '${linkpath}' points outside the target folder`
    }
  }
  if (type === 'Link' && linkpath !== undefined && resolveInside(linkpath, links) === undefined) {
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

/** Raised when a tarball unpacks to more than the limits allow. */
class LimitError extends Error {}

/** Reads the headers of every entry, streaming, and stops as soon as a limit is passed. */
async function listEntries(tarball: string, limits: ExtractLimits): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = []
  let bytes = 0
  const source = createReadStream(tarball, { highWaterMark: READ_SIZE })
  const stop = (message: string) => {
    if (!source.destroyed) source.destroy(new LimitError(message))
  }
  const parser = tar.t({
    strict: true,
    onReadEntry: (entry) => {
      if (source.destroyed) return
      entries.push({ name: entry.path, type: entry.type, linkpath: entry.linkpath })
      bytes += entry.size ?? 0
      if (entries.length > limits.entries) {
        stop(`it has more than ${limits.entries} entries`)
      } else if (bytes > limits.bytes) {
        stop(`it unpacks to more than ${limits.bytes} bytes`)
      }
    },
  })
  await pipeline(source, parser)
  return entries
}

/**
 * Unpacks a PicoLisp source tarball into `dest` after checking every entry:
 * nothing may escape `dest`, it must stay within `limits`, and it must be a
 * pil21 tree with src/Makefile. Memory stays flat: both passes stream.
 * Returns the path of the unpacked pil21 folder.
 */
export async function extractSource(
  tarball: string,
  dest: string,
  limits: ExtractLimits = LIMITS,
): Promise<string> {
  const what = `The source tarball ${tarball}`
  if (!(await isGzip(tarball))) throw new Error(`${what} is not a gzip-compressed tar archive.`)
  let entries: ListedEntry[]
  try {
    entries = await listEntries(tarball, limits)
  } catch (error) {
    if (error instanceof LimitError) {
      throw new Error(
        `${what} is too large to be a PicoLisp source: ${error.message} (the action's limits are ` +
          `${limits.entries} entries and ${limits.bytes} bytes unpacked).`,
      )
    }
    throw new Error(`${what} is not a readable tar archive: ${(error as Error).message}`)
  }
  const links = symlinksOf(entries)
  const problems = entries.map((e) => unsafeEntry(e, links)).filter((p) => p !== undefined)
  if (problems.length > 0) {
    throw new Error(`${what} has unsafe entries, refusing to unpack it: ${problems.join('; ')}.`)
  }
  if (!entries.some((e) => path.posix.normalize(e.name) === `${SOURCE_ROOT}/src/Makefile`)) {
    throw new Error(
      `${what} is not a PicoLisp source tarball: it has no ${SOURCE_ROOT}/src/Makefile.`,
    )
  }
  await fs.mkdir(dest, { recursive: true })
  await pipeline(
    createReadStream(tarball, { highWaterMark: READ_SIZE }),
    tar.x({ cwd: dest, strict: true, preserveOwner: false }),
  )
  return path.join(dest, SOURCE_ROOT)
}
