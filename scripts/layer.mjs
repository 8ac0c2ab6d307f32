#!/usr/bin/env node
// Builds a layer on this machine with the same code path as the action:
// every --flag becomes the action input of the same name (INPUT_*), the
// runner folders go under ~/.cache, and the outputs are printed at the end.
// Outside a runner (no GITHUB_ACTIONS) a reporter turns the runner's log into
// phases, durations and an outputs table; on a runner the log is the action's own.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { installReporter, outputsTable } from './layer-reporter.mjs'

/** A YAML scalar as action.yml writes them: plain, 'single' or "double" quoted. */
function scalar(text) {
  if (text.startsWith('"')) return JSON.parse(text)
  if (text.startsWith("'")) return text.slice(1, -1).replaceAll("''", "'")
  return text
}

/**
 * The action's inputs with their descriptions and defaults, read from
 * action.yml so the flags and the action never drift apart. action.yml keeps
 * each key on one line, which is all this reads.
 */
export function actionInputs(actionYml) {
  const block = actionYml.slice(actionYml.indexOf('\ninputs:'), actionYml.indexOf('\noutputs:'))
  const inputs = []
  for (const line of block.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):$/.exec(line)
    const key = /^ {4}(description|default): (.*)$/.exec(line)
    if (name) inputs.push({ name: name[1], description: '', default: '' })
    else if (key && inputs.length > 0) inputs.at(-1)[key[1]] = scalar(key[2])
  }
  return inputs
}

function usage(inputs) {
  const lines = [
    'Usage: npm run layer -- [--<input> <value> ...] [--verbose]',
    '',
    'Builds a PicoLisp Lambda layer here, as the action does on a runner. Every action input is a flag:',
  ]
  for (const input of inputs) {
    lines.push(
      '',
      `  --${input.name} <value>${input.default ? `   (default: ${input.default})` : ''}`,
    )
    lines.push(`      ${input.description}`)
  }
  lines.push(
    '',
    '  --verbose   show every tool command and its output (make, apt-get), not only on failure',
    '  --help, -h  this text',
  )
  return lines.join('\n')
}

function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}

/** The one-line message for a command line parseArgs refused. */
function argumentError(error, flags) {
  const unknown = /Unknown option '(-{1,2}[^']*)'/.exec(error.message)
  if (unknown) {
    const given = unknown[1].replace(/^-+/, '')
    const closest = flags.reduce((best, f) =>
      distance(given, f) < distance(given, best) ? f : best,
    )
    return `npm run layer: unknown flag ${unknown[1]}; did you mean --${closest}? (--help lists every flag)`
  }
  return `npm run layer: ${error.message.split('\n')[0]} (--help lists every flag)`
}

const inputs = actionInputs(readFileSync(new URL('../action.yml', import.meta.url), 'utf8'))
const flags = [...inputs.map((i) => i.name), 'verbose', 'help']
let values
try {
  ;({ values } = parseArgs({
    options: Object.fromEntries([
      ...inputs.map((i) => [i.name, { type: 'string' }]),
      ['verbose', { type: 'boolean' }],
      ['help', { type: 'boolean', short: 'h' }],
    ]),
  }))
} catch (error) {
  if (!String(error.code).startsWith('ERR_PARSE_ARGS')) throw error
  console.error(argumentError(error, flags))
  process.exit(2)
}
if (values.help) {
  console.log(usage(inputs))
  process.exit(0)
}

const cache = join(
  process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
  'picolisp-lambda-action',
)
const files = mkdtempSync(join(tmpdir(), 'picolisp-layer-cli-'))
const outputFile = join(files, 'outputs')
writeFileSync(outputFile, '')
for (const dir of ['temp', 'tool-cache']) mkdirSync(join(cache, dir), { recursive: true })

process.env.GITHUB_WORKSPACE ||= process.cwd()
process.env.RUNNER_TEMP ||= join(cache, 'temp')
process.env.RUNNER_TOOL_CACHE ||= join(cache, 'tool-cache')
process.env.GITHUB_OUTPUT = outputFile
for (const [name, value] of Object.entries(values)) {
  if (name !== 'help' && name !== 'verbose') process.env[`INPUT_${name.toUpperCase()}`] = value
}

const onRunner = Boolean(process.env.GITHUB_ACTIONS)
// Bound before the reporter puts its line reader in front of process.stdout.
const write = process.stdout.write.bind(process.stdout)
const print = (line) => write(`${line}\n`)
if (!onRunner) installReporter({ verbose: values.verbose, print })

process.on('exit', () => {
  // GITHUB_OUTPUT holds `name<<DELIMITER`, the value, `DELIMITER` for each output.
  const outputs = [...readFileSync(outputFile, 'utf8').matchAll(/^(\S+)<<(\S+)\n([\s\S]*?)\n\2$/gm)]
  if (outputs.length === 0) return
  if (onRunner) {
    const lines = outputs.map(([, name, , value]) => `  ${name}: ${value}`)
    console.log(`\nOutputs:\n${lines.join('\n')}`)
  } else {
    print(
      `\n${outputsTable(Object.fromEntries(outputs.map(([, name, , value]) => [name, value])))}`,
    )
  }
})
await import('../dist/index.js')
