import type { LibrarySource } from '../inputs/build-inputs.js'
import type { LibraryPin } from '../inputs/libraries.js'
import { fetchFile, verifySha256 } from '../source/download.js'
import type { FetchedLibrary } from './assemble.js'

/** What a runner without network access can do instead of downloading the library. */
export function libraryRemedy(pin: LibraryPin): string {
  return (
    `Without network access, set 'include-${pin.id}: false' to build the layer without ${pin.file}, ` +
    `or mirror ${pin.file} and its LICENSE into one folder and set '${pin.id}-url' to the copy of ` +
    `${pin.file} (a URL or a local path) and '${pin.id}-sha256' to its digest ` +
    `(README: "Offline and air-gapped runners").`
  )
}

/** Fetches each bundled library and its LICENSE, and verifies both digests. */
export async function fetchLibraries(
  libraries: LibrarySource[],
  baseDir: string,
  downloadDir: string,
): Promise<FetchedLibrary[]> {
  const fetched: FetchedLibrary[] = []
  for (const library of libraries) {
    const input = `${library.pin.id}-url`
    const origin =
      library.url === library.pin.url
        ? `the pinned digest; a mirror needs '${input}' and '${library.pin.id}-sha256'`
        : `input '${library.pin.id}-sha256'`
    const remedy = libraryRemedy(library.pin)
    const file = await fetchFile(library.url, input, baseDir, downloadDir, remedy)
    await verifySha256(file, library.sha256, library.pin.file, origin)
    const license = await fetchFile(library.licenseUrl, input, baseDir, downloadDir, remedy)
    await verifySha256(license, library.licenseSha256, `${library.pin.file}'s LICENSE`, origin)
    fetched.push({
      folder: library.pin.folder,
      file: library.pin.file,
      path: file.path,
      licensePath: license.path,
    })
  }
  return fetched
}
