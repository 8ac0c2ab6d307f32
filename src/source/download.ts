import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tc from '@actions/tool-cache'
import { InputError } from '../inputs/input-error.js'

/** A file fetched for this run; `downloaded` files are ours to delete. */
export interface FetchedFile {
  path: string
  downloaded: boolean
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

/**
 * Fetches `location` (http(s) URL, file:// URL or local path, relative to `baseDir`).
 * Downloads go through tool-cache, which retries transient failures, into `downloadDir`.
 * `remedy` ends the message of a failed download: what to do without network access.
 */
export async function fetchFile(
  location: string,
  input: string,
  baseDir: string,
  downloadDir: string,
  remedy?: string,
): Promise<FetchedFile> {
  if (/^https?:\/\//i.test(location)) {
    const dest = path.join(
      downloadDir,
      `${randomUUID()}-${path.posix.basename(new URL(location).pathname)}`,
    )
    try {
      return { path: await tc.downloadTool(location, dest), downloaded: true }
    } catch (error) {
      const message = `could not download ${location}: ${describe(error)}`
      throw new InputError(input, remedy ? `${message} ${remedy}` : message)
    }
  }
  const isFileUrl = location.startsWith('file://')
  if (!isFileUrl && /^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw InputError.invalid(
      input,
      'must be an https://, http:// or file:// URL or a local path',
      location,
    )
  }
  const file = isFileUrl ? fileURLToPath(location) : path.resolve(baseDir, location)
  const stat = await fs.stat(file).catch(() => undefined)
  if (!stat?.isFile()) throw new InputError(input, `no such file ${file}.`)
  return { path: file, downloaded: false }
}

function describe(error: unknown): string {
  if (error instanceof tc.HTTPError) return `the server answered HTTP ${error.httpStatusCode}.`
  const { code, message } = error as NodeJS.ErrnoException
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `the host is unreachable (${code}) after 3 attempts.`
  }
  return message
}

/**
 * Checks the digest of a fetched file. A mismatching download is deleted so
 * nothing untrusted is left behind.
 */
export async function verifySha256(
  file: FetchedFile,
  expected: string,
  what: string,
  /** Where the expected digest came from, e.g. "input 'source-sha256'". */
  origin: string,
): Promise<void> {
  const actual = await sha256File(file.path)
  if (actual === expected) return
  if (file.downloaded) await fs.rm(file.path, { force: true })
  throw new Error(
    `The sha256 of ${what} does not match (${origin}): expected ${expected}, got ${actual}.` +
      (file.downloaded ? ' The download was deleted.' : ''),
  )
}
