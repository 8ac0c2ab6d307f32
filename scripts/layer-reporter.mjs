// What `npm run layer` shows a person outside a runner. The action speaks the
// runner's language on stdout (`::group::`, `::debug::`, `[command]`, tool
// output); this reporter reads those lines and prints each phase as it starts
// and how long it took, warnings and errors in words, and the output of long
// tools (make, apt-get) only when the phase fails, or always with --verbose.

/** Symbol.for key under which src/report.ts looks for a phase listener. */
const PHASE_LISTENER = Symbol.for('picolisp-lambda-action.phase-listener')

/** core's escaping of command messages (escapeData), undone. */
function unescapeCommand(text) {
  return text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%')
}

export function seconds(ms) {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/**
 * Installs the reporter: a phase listener on globalThis, and line readers in
 * front of process.stdout and process.stderr. `print` writes one line for the
 * person (the original stdout by default).
 */
export function installReporter({ verbose = false, print } = {}) {
  const write = process.stdout.write.bind(process.stdout)
  const say = print ?? ((line) => write(`${line}\n`))
  /** Tool output of the current phase, held back until it fails. */
  let held = []
  let inGroup = false

  const line = (text) => {
    const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(text)
    if (command) return onCommand(command[1], unescapeCommand(command[2]))
    if (inGroup || text.startsWith('[command]')) {
      if (verbose) say(`    ${text}`)
      else held.push(text)
      return
    }
    say(`  ${text}`)
  }

  const onCommand = (name, message) => {
    if (name === 'group') {
      inGroup = true
      if (verbose) say(`  ${message}`)
      else held.push(`── ${message}`)
    } else if (name === 'endgroup') {
      inGroup = false
    } else if (name === 'debug') {
      if (verbose) say(`    debug: ${message}`)
    } else if (name === 'warning' || name === 'notice') {
      say(`  ${name}: ${message.replaceAll('\n', '\n    ')}`)
    } else if (name === 'error') {
      if (held.length > 0) {
        say('  Tool output of the failed phase:')
        for (const h of held) say(`    ${h}`)
        held = []
      }
      say(`error: ${message.replaceAll('\n', '\n  ')}`)
    }
    // add-mask, set-output, echo and the like are the runner's business.
  }

  globalThis[PHASE_LISTENER] = {
    start(name) {
      held = []
      say(`▸ ${name}`)
    },
    end(name, ms, failed) {
      say(`${failed ? '✗' : '✓'} ${name} ${failed ? 'failed after' : 'took'} ${seconds(ms)}`)
    },
  }
  for (const stream of [process.stdout, process.stderr]) readLines(stream, line)
}

/** Sends every complete line written to `stream` to `onLine` instead. */
function readLines(stream, onLine) {
  let partial = ''
  stream.write = (chunk, encoding, callback) => {
    partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    const lines = partial.split(/\r?\n/)
    partial = lines.pop() ?? ''
    for (const l of lines) onLine(l)
    const done = typeof encoding === 'function' ? encoding : callback
    if (done) done()
    return true
  }
}

/** The outputs as a two-column table, names aligned. */
export function outputsTable(outputs) {
  const names = Object.keys(outputs)
  if (names.length === 0) return ''
  const width = Math.max('output'.length, ...names.map((n) => n.length))
  const rows = names.map((n) => `${n.padEnd(width)}  ${outputs[n]}`)
  return [`${'output'.padEnd(width)}  value`, `${'-'.repeat(width)}  -----`, ...rows].join('\n')
}
