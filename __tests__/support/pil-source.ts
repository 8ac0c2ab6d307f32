import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import * as tar from 'tar'
import { type PilSource, pilSource } from './picolisp.js'

/** Files Debian built from its tree: removed so the test compile makes them for real. */
const GENERATED = [
  'lib/ext.so',
  'lib/ht.so',
  'lib/sysdefs',
  'bin/balance',
  'bin/httpGate',
  'bin/ssl',
]

export const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures')

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

/**
 * Packs a pil21 tree (by default the selected one, see picolisp.ts) as a
 * release-shaped `pil21/` tarball, file times kept so make trusts the shipped
 * .ll files, as a real release tarball is.
 */
export async function packPil21Tarball(
  dir: string,
  source: PilSource = pilSource(),
): Promise<{ path: string; sha256: string }> {
  const staging = path.join(dir, 'staging')
  const tree = path.join(staging, 'pil21')
  await fs.cp(source.tree, tree, {
    recursive: true,
    preserveTimestamps: true,
    verbatimSymlinks: true,
  })
  await fs.rm(path.join(tree, 'doc'), { force: true, recursive: true })
  for (const file of GENERATED) await fs.rm(path.join(tree, file), { force: true })
  if (source.copyright) await fs.copyFile(source.copyright, path.join(tree, 'COPYING'))
  const tarball = path.join(dir, `picoLisp-${source.release}.tgz`)
  await tar.c({ gzip: true, file: tarball, cwd: staging }, ['pil21'])
  await fs.rm(staging, { recursive: true, force: true })
  return { path: tarball, sha256: await sha256(tarball) }
}

export interface FileServer {
  url: string
  /** Paths requested so far, to tell a cache hit from a download. */
  requests: string[]
  close: () => Promise<void>
}

/** Serves `files` (URL path → local file) on 127.0.0.1; anything else is a 404. */
export async function serveFiles(files: Record<string, string>): Promise<FileServer> {
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname
    requests.push(urlPath)
    const file = files[urlPath]
    if (!file) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The test source: tarball and stand-in aw libraries, served over loopback HTTP. */
export interface TestSource {
  /** The tree packed, and the version the interpreter built from it reports. */
  source: PilSource
  server: FileServer
  tarball: { path: string; sha256: string }
  /** Inputs that point a build at this server, verified by sha256. */
  inputs: Record<string, string>
}

export async function startTestSource(
  dir: string,
  source: PilSource = pilSource(),
): Promise<TestSource> {
  const tarball = await packPil21Tarball(dir, source)
  const name = path.basename(tarball.path)
  const aw = path.join(FIXTURES, 'aw')
  const server = await serveFiles({
    [`/${name}`]: tarball.path,
    '/json/json.l': path.join(aw, 'json', 'json.l'),
    '/json/LICENSE': path.join(aw, 'json', 'LICENSE'),
    '/awscurl/libawscurl.l': path.join(aw, 'awscurl', 'libawscurl.l'),
    '/awscurl/LICENSE': path.join(aw, 'awscurl', 'LICENSE'),
  })
  const digests = async (lib: string, file: string): Promise<string> =>
    `${await sha256(path.join(aw, lib, file))},${await sha256(path.join(aw, lib, 'LICENSE'))}`
  return {
    source,
    server,
    tarball,
    inputs: {
      'picolisp-version': source.release,
      'source-url': `${server.url}/${name}`,
      'source-sha256': tarball.sha256,
      'json-url': `${server.url}/json/json.l`,
      'json-sha256': await digests('json', 'json.l'),
      'awscurl-url': `${server.url}/awscurl/libawscurl.l`,
      'awscurl-sha256': await digests('awscurl', 'libawscurl.l'),
    },
  }
}
