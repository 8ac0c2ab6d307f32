#!/usr/bin/env node
// Builds a layer on this machine with the same code path as the action:
// every --flag becomes the action input of the same name (INPUT_*), the
// runner folders go under ~/.cache, and the outputs are printed at the end.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

// The flags are the action's inputs, read from action.yml so the two never drift apart.
const actionYml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')
const inputsBlock = actionYml.slice(actionYml.indexOf('\ninputs:'), actionYml.indexOf('\noutputs:'))
const inputNames = [...inputsBlock.matchAll(/^ {2}([a-z0-9-]+):$/gm)].map((m) => m[1])
const { values } = parseArgs({
  options: Object.fromEntries([
    ...inputNames.map((name) => [name, { type: 'string' }]),
    ['help', { type: 'boolean', short: 'h' }],
  ]),
})
if (values.help) {
  console.log(`Usage: npm run layer -- [--input-name value ...]\nInputs: ${inputNames.join(', ')}`)
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
  if (name !== 'help') process.env[`INPUT_${name.toUpperCase()}`] = value
}

process.on('exit', () => {
  // GITHUB_OUTPUT holds `name<<DELIMITER`, the value, `DELIMITER` for each output.
  const outputs = readFileSync(outputFile, 'utf8').matchAll(/^(\S+)<<(\S+)\n([\s\S]*?)\n\2$/gm)
  const lines = [...outputs].map(([, name, , value]) => `  ${name}: ${value}`)
  if (lines.length > 0) console.log(`\nOutputs:\n${lines.join('\n')}`)
})
await import('../dist/index.js')
