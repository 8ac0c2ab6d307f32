import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type InvokeResult, type InvokeSession, reportLine } from './session.js'

export const INVOKE_PATH = '/2015-03-31/functions/function/invocations'

/**
 * The Runtime Interface Emulator's invoke endpoint: each POST to INVOKE_PATH
 * is one event (its body as sent), answered 200 with the function's response,
 * or with the error object and X-Amz-Function-Error: Unhandled. Invocations
 * run one at a time, as one Lambda instance runs them.
 */
export async function serveInvocations(
  session: InvokeSession,
  port: number,
  report: (line: string) => void,
  host = '127.0.0.1',
): Promise<Server> {
  let queue: Promise<unknown> = Promise.resolve()
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== INVOKE_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      res.end(`404 page not found: POST ${INVOKE_PATH} invokes the function\n`)
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const run = queue.then(() => session.invoke(Buffer.concat(chunks)))
      queue = run.catch(() => undefined)
      run.then(
        (result: InvokeResult) => {
          report(reportLine(result))
          const headers: Record<string, string> = { 'Content-Type': 'application/json' }
          if (result.status !== 'ok') headers['X-Amz-Function-Error'] = 'Unhandled'
          res.writeHead(200, headers)
          res.end(result.body)
        },
        (error: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' })
          res.end(`${error.message}\n`)
        },
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return server
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port
}
