/**
 * Instructions of the JSON codec, against a baseline commit's codec: a measure
 * that load from elsewhere on the machine does not move, unlike bench/json.ts's
 * times. Under valgrind's callgrind, one PicoLisp loads the codec and decodes
 * and encodes a generated event (bench/json-event.ts) N times; the same with 0
 * rounds gives the cost of loading (lib.l and the codec), and the difference,
 * divided by N, the cost of one round. User-space instructions only.
 * Run: BENCH_BASELINE=<git ref> npx tsx bench/json-instructions.ts
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeEvent } from './json-event.js'

const REPO = join(import.meta.dirname, '..')
const BASELINE = process.env.BENCH_BASELINE
/** The Lisp codec's files, in the order runtime/main.l loads them (json-fast.l since issue 12). */
const CODEC = ['json.l', 'json-fast.l']

function git(args: string[]): Buffer {
  return execFileSync('git', args, { cwd: REPO })
}

/** The codec files of commit `ref`, written to `dir`. */
function codecAt(ref: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const tracked = git(['ls-tree', '--name-only', ref, 'runtime/']).toString().split('\n')
  return CODEC.filter((file) => tracked.includes(`runtime/${file}`)).map((file) => {
    const to = join(dir, file)
    writeFileSync(to, git(['show', `${ref}:runtime/${file}`]))
    return to
  })
}

/** The working tree's codec files. */
function codecHere(): string[] {
  return CODEC.map((file) => join(REPO, 'runtime', file)).filter((file) => existsSync(file))
}

/** Instructions of one PicoLisp run: the codec loaded, `rounds` rounds on `event`. */
function instructions(codec: string[], event: string, rounds: number, out: string): number {
  execFileSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      'picolisp',
      '/usr/lib/picolisp/lib.l',
      ...codec,
      join(REPO, 'bench', 'json-instructions.l'),
      event,
      String(rounds),
    ],
    { stdio: 'ignore' },
  )
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1]
  if (!total) throw new Error(`${out}: expected a "summary:" line from callgrind`)
  return Number(total)
}

function main() {
  if (!BASELINE) throw new Error('BENCH_BASELINE: expected a git ref to compare with')
  const dir = mkdtempSync(join(tmpdir(), 'json-instructions-'))
  try {
    const codecs = { baseline: codecAt(BASELINE, join(dir, 'baseline')), codec: codecHere() }
    const out = join(dir, 'callgrind.out')
    const lines = [
      `Baseline: runtime/ of ${BASELINE} (${git(['rev-parse', '--short', `${BASELINE}^{commit}`])
        .toString()
        .trim()})`,
      '',
      '| instructions | baseline | codec | codec / baseline |',
      '|---|---:|---:|---:|',
    ]
    const row = (label: string, base: number, now: number) =>
      lines.push(
        `| ${label} | ${base.toFixed(0)} | ${now.toFixed(0)} | ${(now / base).toFixed(4)} |`,
      )
    let loaded = false
    for (const [label, bytes, rounds] of [
      ['1 kB', 1_000, 200],
      ['1 MB', 1_000_000, 2],
    ] as const) {
      const event = join(dir, `event-${bytes}.json`)
      writeFileSync(event, makeEvent(bytes))
      const [base0, now0, baseN, nowN] = [
        instructions(codecs.baseline, event, 0, out),
        instructions(codecs.codec, event, 0, out),
        instructions(codecs.baseline, event, rounds, out),
        instructions(codecs.codec, event, rounds, out),
      ] as [number, number, number, number]
      if (!loaded) row('loading lib.l and the codec', base0, now0)
      loaded = true
      row(
        `${label} event, decode + encode, per round (${rounds} rounds)`,
        (baseN - base0) / rounds,
        (nowN - now0) / rounds,
      )
    }
    console.log(lines.join('\n'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
