import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import * as glob from '@actions/glob'
import { hasJobSummary, humanSize } from '../common/report.js'
import { neutralise, neutraliseHtml } from '../common/untrusted.js'
import { InputError } from '../inputs/input-error.js'
import { type InputReader, lines, text } from '../inputs/read.js'
import { checkHandler, parseEvent, readEventFile } from './event.js'
import { unpackLayer } from './layer.js'
import { InvokeSession, type InvokeStatus, reportLine } from './session.js'

/** The smoke-test inputs: a handler and at least one event file. */
export interface SmokeInputs {
  handler: string
  taskRoot: string
  /** Newline-separated files or globs, relative to the workspace. */
  events: string[]
  workspace: string
}

export interface SmokeResult {
  event: string
  /** 'passed', 'mismatch' (answered, but not the expected response), or how it failed. */
  status: 'passed' | 'mismatch' | Exclude<InvokeStatus, 'ok'>
  durationMs: number
  responseBytes: number
  response: string
  diff?: string
}

const EXPECTED = '.expected.json'

/** Reads test-handler, test-task-root and test-events; undefined when no smoke test is asked for. */
export function readSmokeInputs(read: InputReader, workspace: string): SmokeInputs | undefined {
  const handler = text(read, 'test-handler')
  const events = lines(read, 'test-events')
  if (!handler && events.length === 0) return undefined
  if (!handler) throw new InputError('test-events', "needs 'test-handler' (<file>.<function>).")
  if (events.length === 0) {
    throw new InputError('test-handler', "needs 'test-events': the event files to run it with.")
  }
  try {
    checkHandler(handler)
  } catch (error) {
    throw new InputError('test-handler', (error as Error).message)
  }
  const taskRoot = path.resolve(workspace, text(read, 'test-task-root') || '.')
  return { handler, taskRoot, events, workspace }
}

/** The event files, in input order; a line that matches nothing is an error. */
async function eventFiles(inputs: SmokeInputs): Promise<string[]> {
  const files: string[] = []
  for (const pattern of inputs.events) {
    const globber = await glob.create(path.resolve(inputs.workspace, pattern), {
      matchDirectories: false,
    })
    const matched = (await globber.glob()).filter((f) => !f.endsWith(EXPECTED)).sort()
    if (matched.length === 0) {
      throw new InputError('test-events', `'${pattern}' matches no event file.`)
    }
    for (const file of matched) if (!files.includes(file)) files.push(file)
  }
  return files
}

/** `<name>.expected.json` beside `<name>.json` (or beside `<name>` for another extension). */
function expectedFile(event: string): string {
  return event.replace(/\.json$/, '') + EXPECTED
}

/** JSON with object keys sorted, so key order never counts as a difference. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]))
  }
  return value
}

/** A line diff (longest common subsequence): `-` expected only, `+` actual only. */
export function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n')
  const b = actual.split('\n')
  const lcs = a.map(() => new Array<number>(b.length + 1).fill(0))
  lcs.push(new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
    }
  }
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i++]}`)
      j++
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`)
    } else out.push(`+ ${b[j++]}`)
  }
  return out.join('\n')
}

/** undefined when the response is the expected one, else the diff. */
async function compare(event: string, body: Buffer): Promise<string | undefined> {
  const file = expectedFile(event)
  const wanted = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (wanted === undefined) return undefined
  const expected = JSON.stringify(canonical(parseEvent(wanted, `expectation ${file}`)), null, 2)
  const text = body.toString('utf8')
  let actual: string
  try {
    actual = JSON.stringify(canonical(JSON.parse(text)), null, 2)
  } catch {
    // A handler's string answer is sent as text: it compares as that JSON string
    actual = JSON.stringify(text)
  }
  return expected === actual ? undefined : lineDiff(expected, actual)
}

/**
 * Runs every event through the built layer in one function instance, as
 * `npm run invoke` does, and compares each response with its expectation.
 */
export async function runSmokeTest(inputs: SmokeInputs, zip: string): Promise<SmokeResult[]> {
  const files = await eventFiles(inputs)
  const events = await Promise.all(files.map((f) => readEventFile(f)))
  const layerDir = await unpackLayer(zip)
  const log = (chunk: Buffer) => core.info(neutralise(chunk.toString('utf8').trimEnd()))
  const session = new InvokeSession({
    layerDir,
    handler: inputs.handler,
    taskRoot: inputs.taskRoot,
    timeoutSeconds: 3,
    log,
  })
  const results: SmokeResult[] = []
  try {
    for (const [n, file] of files.entries()) {
      const event = path.relative(inputs.workspace, file)
      const result = await session.invoke(events[n])
      core.info(neutralise(`${event}: ${reportLine(result)}`))
      const diff = result.status === 'ok' ? await compare(file, result.body) : undefined
      const status = result.status === 'ok' ? (diff ? 'mismatch' : 'passed') : result.status
      const response = result.body.toString('utf8')
      results.push({
        event,
        status,
        durationMs: Math.round(result.durationMs * 100) / 100,
        responseBytes: result.body.length,
        response,
        ...(diff ? { diff } : {}),
      })
    }
  } finally {
    await session.stop()
    await fs.rm(layerDir, { recursive: true, force: true })
  }
  return results
}

async function writeSmokeSummary(results: readonly SmokeResult[]): Promise<void> {
  if (!hasJobSummary()) return
  const rows = results.map((r) => [
    `<code>${neutraliseHtml(r.event)}</code>`,
    r.status === 'passed' ? 'passed' : `<b>${r.status}</b>`,
    `${r.durationMs.toFixed(2)} ms`,
    humanSize(r.responseBytes),
  ])
  let summary = core.summary.addHeading('Smoke test', 2).addTable([
    [
      { data: 'Event', header: true },
      { data: 'Status', header: true },
      { data: 'Duration', header: true },
      { data: 'Response', header: true },
    ],
    ...rows,
  ])
  for (const r of results.filter((x) => x.status !== 'passed')) {
    const detail = r.diff ?? r.response
    summary = summary.addDetails(
      neutraliseHtml(`${r.event}: ${r.status}`),
      `\n\n\`\`\`diff\n${neutraliseHtml(detail)}\n\`\`\`\n\n`,
    )
  }
  await summary.write()
}

/** The action's phase: runs, reports, and throws (so nothing is published) on any failure. */
export async function smokeTestPhase(inputs: SmokeInputs, zip: string): Promise<void> {
  const results = await runSmokeTest(inputs, zip)
  core.setOutput('test-results', JSON.stringify(results))
  await writeSmokeSummary(results)
  const failed = results.filter((r) => r.status !== 'passed')
  for (const r of failed) {
    core.error(neutralise(`Smoke test ${r.event}: ${r.status}\n${r.diff ?? r.response}`))
  }
  if (failed.length > 0) {
    const list = failed.map((r) => `${r.event} (${r.status})`).join(', ')
    throw new Error(
      neutralise(
        `Smoke test failed for ${failed.length} of ${results.length} events: ${list}; nothing was published.`,
      ),
    )
  }
  core.info(`Smoke test: all ${results.length} events passed.`)
}
