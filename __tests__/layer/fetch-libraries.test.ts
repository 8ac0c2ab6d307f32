import * as fs from 'node:fs/promises'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { LibrarySource } from '../../src/inputs/build-inputs.js'
import { LIBRARIES } from '../../src/inputs/libraries.js'
import { fetchLibraries } from '../../src/layer/fetch-libraries.js'
import { type FileServer, serveFiles } from '../support/pil-source.js'

// A runner without network access fails on the first library it downloads: the
// message must say how to do without it (include-…: false) or with a mirror.

let root: string
let empty: FileServer

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-libraries-'))
  empty = await serveFiles({})
  // @actions/tool-cache's own test hook: its three attempts follow at once.
  Object.assign(globalThis, {
    TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS: 0,
    TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS: 0,
  })
})

afterAll(async () => {
  await empty.close()
  await fs.rm(root, { recursive: true, force: true })
})

function pinnedAt(id: 'json' | 'awscurl', url: string): LibrarySource {
  const pin = LIBRARIES.find((l) => l.id === id) as (typeof LIBRARIES)[number]
  return { pin, url, sha256: pin.sha256, licenseUrl: url, licenseSha256: pin.licenseSha256 }
}

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('an unreachable json.l names include-json: false and mirroring', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/json.l`
  await expect(fetchLibraries([pinnedAt('json', url)], root, root)).rejects.toThrow(
    new RegExp(
      `^Input 'json-url': could not download ${url}: the host is unreachable \\(ECONNREFUSED\\) after 3 attempts\\. ` +
        "Without network access, set 'include-json: false' to build the layer without json\\.l, " +
        "or mirror json\\.l and its LICENSE into one folder and set 'json-url' to the copy of json\\.l " +
        "\\(a URL or a local path\\) and 'json-sha256' to its digest",
    ),
  )
})

test('a missing libawscurl.l names include-awscurl: false and mirroring', async () => {
  const url = `${empty.url}/libawscurl.l`
  await expect(fetchLibraries([pinnedAt('awscurl', url)], root, root)).rejects.toThrow(
    /the server answered HTTP 404\. Without network access, set 'include-awscurl: false'[^\n]*'awscurl-url'[^\n]*'awscurl-sha256'/,
  )
})

test('a missing local mirror is not a download: no remedy, the path', async () => {
  const missing = path.join(root, 'mirror', 'json.l')
  await expect(fetchLibraries([pinnedAt('json', missing)], root, root)).rejects.toThrow(
    `Input 'json-url': no such file ${missing}.`,
  )
})
