import { fetchFile, verifySha256 } from './download.js'
import type { LibrarySource } from './inputs.js'
import type { FetchedLibrary } from './layer.js'

/** Fetches each bundled library and its LICENSE, and verifies both digests. */
export async function fetchLibraries(
  libraries: LibrarySource[],
  baseDir: string,
  downloadDir: string,
): Promise<FetchedLibrary[]> {
  const fetched: FetchedLibrary[] = []
  for (const library of libraries) {
    const input = `${library.pin.id}-url`
    const file = await fetchFile(library.url, input, baseDir, downloadDir)
    await verifySha256(file, library.sha256, library.pin.file, `${library.pin.id}-sha256`)
    const license = await fetchFile(library.licenseUrl, input, baseDir, downloadDir)
    await verifySha256(
      license,
      library.licenseSha256,
      `${library.pin.file}'s LICENSE`,
      `${library.pin.id}-sha256`,
    )
    fetched.push({
      folder: library.pin.folder,
      file: library.pin.file,
      path: file.path,
      licensePath: license.path,
    })
  }
  return fetched
}
