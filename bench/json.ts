// Measures runtime/json.l against pil21's own @lib/json.l (readJson/printJson)
// on generated Lambda-like events of 1 MB and 6 MB (and 1 kB, where the cost
// per call shows), and the same with the native codec (runtime/native/json.l,
// built here for this PicoLisp). Run: npm run bench:json
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeEvent } from './json-event.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const operations = [
  ['decode, from a string', 'decode-string'],
  ['decode, from an input channel', 'decode-channel'],
  ['encode, to a string', 'encode-string'],
  ['encode, to the buffer file (an HTTP body)', 'encode-file'],
  ['encode, to an output channel', 'encode-channel'],
] as const

/** Builds the native codec for the PicoLisp the bench runs, into dir. */
function buildNative(dir: string): string {
  const lib = path.join(dir, 'lambdajson.so')
  execFileSync(path.join(repoRoot, 'scripts/build-native-json.sh'), [
    '/usr/lib/picolisp',
    lib,
    '/usr/bin/picolisp',
  ])
  // Read before runtime/json-native.l: which library it loads
  const preload = path.join(dir, 'native.l')
  writeFileSync(preload, `(setq *LambdaJsonNativeLib "${lib}")\n`)
  return preload
}

/** `preload`, if given, is loaded first (see buildNative). */
function measure(file: string, rounds: number, preload?: string): Map<string, number> {
  const out = execFileSync(
    'picolisp',
    [
      '/usr/lib/picolisp/lib.l',
      '@lib/json.l',
      ...(preload ? [preload] : []),
      path.join(repoRoot, 'runtime/json.l'),
      path.join(repoRoot, 'runtime/json-fast.l'),
      path.join(repoRoot, 'runtime/json-native.l'),
      path.join(repoRoot, 'bench/json-bench.l'),
      file,
      String(rounds),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  )
  return new Map(
    out
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([name, usec]) => [name, Number(usec)]),
  )
}

function machine(): string {
  const cpu = execFileSync('sh', ['-c', "lscpu | grep 'Model name' | sed 's/.*: *//'"], {
    encoding: 'utf8',
  }).trim()
  const pil = execFileSync('picolisp', ['-version', '-bye'], { encoding: 'utf8' }).trim()
  return `${os.cpus().length} cores (${cpu}), Node ${process.version}, PicoLisp ${pil}`
}

function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'json-bench-'))
  try {
    console.log(`Machine: ${machine()}`)
    console.log('Median of N rounds in one PicoLisp process; MB = 10^6 bytes.\n')
    console.log(
      '| event | operation | ours MB/s | native MB/s | pil21 @lib/json.l MB/s | ours/pil21 | native/ours |',
    )
    console.log('|---|---|---:|---:|---:|---:|---:|')
    const native = buildNative(dir)
    const fallback: string[] = []
    for (const [label, bytes, rounds] of [
      ['1 kB', 1_000, 2001],
      ['1 MB', 1_000_000, 21],
      ['6 MB', 6_000_000, 7],
    ] as const) {
      const json = makeEvent(bytes)
      const file = path.join(dir, `event-${label.replace(' ', '')}.json`)
      writeFileSync(file, json)
      const size = Buffer.byteLength(json)
      const times = measure(file, rounds)
      const nativeTimes = measure(file, rounds, native)
      for (const [text, key] of operations) {
        const ours = size / (times.get(`${key}-ours`) ?? Number.NaN)
        const fast = size / (nativeTimes.get(`${key}-ours`) ?? Number.NaN)
        const pil = size / (times.get(`${key}-pil`) ?? Number.NaN)
        console.log(
          `| ${label} (${size} B, ${rounds} rounds) | ${text} | ${ours.toFixed(1)} | ${fast.toFixed(1)} | ${pil.toFixed(1)} | ${(ours / pil).toFixed(2)} | ${(fast / ours).toFixed(2)} |`,
        )
      }
      const memfd = times.get('decode-string-ours') ?? Number.NaN
      const tmpFile = times.get('decode-string-file') ?? Number.NaN
      fallback.push(`| ${label} | ${memfd} µs | ${tmpFile} µs | ${(tmpFile / memfd).toFixed(2)} |`)
    }
    console.log(
      '\nDecoding a string: in-memory file (the default) against the /tmp file fallback.\n',
    )
    console.log('| event | in-memory file | /tmp file | /tmp file / in-memory |')
    console.log('|---|---:|---:|---:|')
    for (const line of fallback) console.log(line)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
