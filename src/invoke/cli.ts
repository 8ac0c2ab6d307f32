import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { checkHandler, readEventArgument } from './event.js'
import { unpackLayer } from './layer.js'
import { serveInvocations, serverPort } from './serve.js'
import { type InvokeResult, InvokeSession, reportLine } from './session.js'

const USAGE = `Usage: npm run invoke -- --layer <zip> --handler <file.function> --event <file | - | JSON>
       npm run invoke -- --layer <zip> --handler <file.function> --serve [--port 9000]

Runs a handler through a built layer as Lambda would: the layer's bootstrap against
a local Runtime API, with Lambda's environment.

  --layer <zip>         the layer zip the action (or npm run layer) built
  --handler <f.fn>      Lambda's Handler: <file>.<function>, file relative to the task root
  --event <e>           a JSON file, - for stdin, or the JSON text itself
  --task-root <dir>     LAMBDA_TASK_ROOT (default: the current folder)
  --env KEY=VALUE       an environment variable for the function (repeatable)
  --timeout <seconds>   kill the invocation after this long (default 3, as Lambda's)
  --repeat <n>          run the event n times in the same process (state persists)
  --serve               answer POST /2015-03-31/functions/function/invocations
  --port <n>            the --serve port on 127.0.0.1 (default 9000; 0 picks a free one)

The response goes to stdout (pretty when JSON), the function's log and a REPORT
line to stderr. Exits 1 on a function error, init error, timeout or crash.`

export interface CliOptions {
  layer: string
  handler: string
  event?: string
  taskRoot: string
  env: Record<string, string>
  timeoutSeconds: number
  repeat: number
  serve: boolean
  port: number
}

/** A number flag: above 0, or from `min` on; whole when `integer`. */
function numberFlag(name: string, text: string, integer: boolean, min?: number): number {
  const value = Number(text)
  const inRange = min === undefined ? value > 0 : value >= min
  if (!inRange || (integer && !Number.isInteger(value))) {
    const range = min === undefined ? 'above 0' : `from ${min} on`
    throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number ${range}, not '${text}'.`)
  }
  return value
}

/** Checks the command line; every message says what was expected. */
export function parseCli(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      layer: { type: 'string' },
      handler: { type: 'string' },
      event: { type: 'string' },
      'task-root': { type: 'string' },
      env: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      repeat: { type: 'string' },
      serve: { type: 'boolean' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  if (!values.layer) throw new Error('--layer <zip> is required: the layer zip to run.')
  if (!values.handler) throw new Error('--handler <file.function> is required.')
  if (!values.serve && values.event === undefined) {
    throw new Error('--event <file | - | JSON> is required (or --serve).')
  }
  const env: Record<string, string> = {}
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`--env takes KEY=VALUE, not '${pair}'.`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return {
    layer: path.resolve(values.layer),
    handler: checkHandler(values.handler),
    event: values.event,
    taskRoot: path.resolve(values['task-root'] ?? '.'),
    env,
    timeoutSeconds: values.timeout ? numberFlag('timeout', values.timeout, false) : 3,
    repeat: values.repeat ? numberFlag('repeat', values.repeat, true) : 1,
    serve: values.serve ?? false,
    port: values.port ? numberFlag('port', values.port, true, 0) : 9000,
  }
}

/** Pretty JSON when the body is JSON, else the text as it came. */
export function formatBody(body: Buffer): string {
  const text = body.toString('utf8')
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

async function invokeEvents(session: InvokeSession, options: CliOptions): Promise<number> {
  const event = await readEventArgument(options.event as string)
  let failed = false
  for (let i = 0; i < options.repeat; i++) {
    const result: InvokeResult = await session.invoke(event)
    if (result.status === 'ok') process.stdout.write(`${formatBody(result.body)}\n`)
    else {
      failed = true
      process.stderr.write(`${result.status}: ${formatBody(result.body)}\n`)
    }
    process.stderr.write(`${reportLine(result)}\n`)
  }
  return failed ? 1 : 0
}

async function serve(session: InvokeSession, options: CliOptions): Promise<number> {
  const report = (line: string) => process.stderr.write(`${line}\n`)
  const server = await serveInvocations(session, options.port, report)
  process.stderr.write(
    `Listening on http://127.0.0.1:${serverPort(server)}/2015-03-31/functions/function/invocations\n`,
  )
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  server.close()
  return 0
}

export async function main(argv: string[]): Promise<number> {
  let options: CliOptions | 'help'
  try {
    options = parseCli(argv)
  } catch (error) {
    process.stderr.write(`npm run invoke: ${(error as Error).message} (--help for usage)\n`)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  let layerDir: string | undefined
  let session: InvokeSession | undefined
  try {
    layerDir = await unpackLayer(options.layer)
    session = new InvokeSession({ ...options, layerDir })
    return options.serve ? await serve(session, options) : await invokeEvents(session, options)
  } catch (error) {
    process.stderr.write(`npm run invoke: ${(error as Error).message}\n`)
    return 2
  } finally {
    await session?.stop()
    if (layerDir) await fs.rm(layerDir, { recursive: true, force: true })
  }
}
