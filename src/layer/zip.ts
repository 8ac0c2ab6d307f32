import { createWriteStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ZipArchive } from 'archiver'
import { removeOnCancel } from '../common/cancel.js'

/** One file in the zip: its name there, where its bytes come from, and its mode. */
export interface ZipEntry {
  name: string
  source: string
  mode: 0o755 | 0o644
}

/** 1980-01-01T00:00:00Z, the earliest time a zip can hold: the default for every entry. */
const ZIP_EPOCH = 315532800

/**
 * Entry time: SOURCE_DATE_EPOCH when set (the reproducible-builds convention),
 * else the zip epoch. Never the files' own times, which differ per checkout.
 */
export function entryDate(sourceDateEpoch = process.env.SOURCE_DATE_EPOCH): Date {
  if (sourceDateEpoch === undefined || sourceDateEpoch === '') return new Date(ZIP_EPOCH * 1000)
  const seconds = Number(sourceDateEpoch)
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got '${sourceDateEpoch}'.`)
  }
  return new Date(Math.max(seconds, ZIP_EPOCH) * 1000)
}

/** Where the zip is written before it is renamed to `output`. */
export function partialPath(output: string, pid = process.pid): string {
  return path.join(path.dirname(output), `.${path.basename(output)}.${pid}.partial`)
}

/**
 * Writes a byte-for-byte reproducible zip: entries sorted by name, one fixed
 * time, explicit modes. It is written beside `output` and renamed into place,
 * so a failure never leaves a partial zip behind.
 */
export async function writeZip(
  entries: ZipEntry[],
  output: string,
  date = entryDate(),
): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  // archiver only warns about an unreadable file and leaves it out: check first.
  for (const entry of sorted) await fs.access(entry.source, fs.constants.R_OK)
  const partial = partialPath(output)
  await fs.mkdir(path.dirname(output), { recursive: true })
  // archiver stats files 4 at a time and adds them as the stats return: one at a time
  // keeps the sorted order, without which the same inputs give a different zip.
  const archive = new ZipArchive({ zlib: { level: 9 }, statConcurrency: 1 })
  const failed = new Promise<never>((_, reject) => {
    archive.on('warning', reject)
    archive.on('error', reject)
  })
  const forget = removeOnCancel(partial)
  const written = pipeline(archive, createWriteStream(partial))
  written.catch(() => undefined)
  try {
    for (const entry of sorted) {
      archive.file(entry.source, { name: entry.name, date, mode: entry.mode })
    }
    await Promise.race([Promise.all([written, archive.finalize()]), failed])
    await fs.rename(partial, output)
  } catch (error) {
    archive.abort()
    await fs.rm(partial, { force: true })
    throw error
  } finally {
    forget()
  }
}
