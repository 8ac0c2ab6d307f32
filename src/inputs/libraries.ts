/** aw's MIT-licensed libraries the layer bundles, pinned to reviewed commits. */
export interface LibraryPin {
  /** Input prefix: `include-<id>`, `<id>-url`, `<id>-sha256`. */
  id: 'json' | 'awscurl'
  /** Folder under picoLisp/ in the layer. */
  folder: string
  file: string
  url: string
  sha256: string
  licenseSha256: string
}

const raw = (repo: string, commit: string, file: string): string =>
  `https://raw.githubusercontent.com/aw/${repo}/${commit}/${file}`

export const LIBRARIES: readonly LibraryPin[] = [
  {
    id: 'json',
    folder: 'json',
    file: 'json.l',
    url: raw('picolisp-json', '24d2cfbf73b70d098f47db6328e032fdc7095128', 'json.l'),
    sha256: '0d92a1a87879ee6bddebd50197c29855ab407cbec942d26255e6ace5af648195',
    licenseSha256: '113e27e8afe481e6fb3d3584bd3c1402326a70cb0f6c87b1cdfce1273ebc19ab',
  },
  {
    id: 'awscurl',
    folder: 'awscurl',
    file: 'libawscurl.l',
    url: raw('picolisp-awscurl', '8f7d25978a11c4f5f6383b05e72ffbfe4f7afdeb', 'libawscurl.l'),
    sha256: '9d73db0ddab0057760c880cebd16177cdc97cda867e1934305d64f7ad09a080c',
    licenseSha256: '1b49c077131c3eaee67e4fb0992a8eb99deb3efe63f0bf014567e2b77db4a41d',
  },
]
