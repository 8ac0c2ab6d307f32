// What `npm run layer` shows a person outside a runner. The action speaks the
// runner's language on stdout (`::group::`, `::debug::`, `[command]`, tool
// output); this reporter reads those lines and prints each phase as it starts
// and how long it took, warnings and errors in words, and the output of long
// tools (make, apt-get) only when the phase fails, or always with --verbose.

/** Symbol.for key under which src/common/report.ts looks for a phase listener. */
const PHASE_LISTENER = Symbol.for('picolisp-lambda-action.phase-listener')

/** core's escaping of command messages (escapeData), undone. */
function unescapeCommand(text) {
  return text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%')
}

/** A duration for a person: tenths of a second under a minute, then minutes and seconds. */
export function seconds(ms) {
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)} min ${total % 60} s`
}

/**
 * Installs the reporter: a phase listener on globalThis, and line readers in
 * front of process.stdout and process.stderr. `print` writes one line for the
 * person (the original stdout by default).
 */
export function installReporter({ verbose = false, print } = {}) {
  const write = process.stdout.write.bind(process.stdout)
  const reporter = createReporter({ verbose, say: print ?? ((line) => write(`${line}\n`)) })
  globalThis[PHASE_LISTENER] = reporter.phases
  for (const stream of [process.stdout, process.stderr]) readLines(stream, reporter.line)
}

/**
 * The reporter itself: `line` takes each line the action writes, `phases` is
 * the phase listener; `say` prints one line for the person.
 */
export function createReporter({ verbose = false, say }) {
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

  const phases = {
    start(name) {
      held = []
      say(`▸ ${name}`)
    },
    end(name, ms, failed) {
      say(`${failed ? '✗' : '✓'} ${name} ${failed ? 'failed after' : 'took'} ${seconds(ms)}`)
    },
  }
  return { line, phases }
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
