import { describe, expect, it } from 'vitest'
import { createReporter, outputsTable, seconds } from '../../scripts/layer-reporter.mjs'

// What `npm run layer` shows a person, line by line, for what the action writes
// on a runner (the end-to-end side is in cli.test.ts).

function reporter(verbose = false) {
  const said: string[] = []
  const r = createReporter({ verbose, say: (line) => said.push(line) })
  return { ...r, said }
}

/** What a compile phase writes on a runner: a group around make's command and output. */
function compilePhase(r: ReturnType<typeof reporter>, failed: boolean) {
  r.phases.start('PicoLisp')
  r.line('Build cache key: k')
  r.line('::debug::Downloading http://x/pil21.tgz')
  r.line('::group::make -C pil21/src')
  r.line('[command]/usr/bin/make -C pil21/src')
  r.line('clang -c base.ll')
  r.line('::endgroup::')
  r.phases.end('PicoLisp', 61_500, failed)
}

describe('the reporter', () => {
  it('shows phases with durations and info lines, and holds back tool output and debug lines', () => {
    const r = reporter()
    compilePhase(r, false)
    expect(r.said).toEqual(['▸ PicoLisp', '  Build cache key: k', '✓ PicoLisp took 1 min 2 s'])
  })

  it('shows the held-back tool output of a failed phase before the error', () => {
    const r = reporter()
    compilePhase(r, true)
    r.line('::error::Compiling failed%0Alast line')
    expect(r.said.slice(2)).toEqual([
      '✗ PicoLisp failed after 1 min 2 s',
      '  Tool output of the failed phase:',
      '    ── make -C pil21/src',
      '    [command]/usr/bin/make -C pil21/src',
      '    clang -c base.ll',
      'error: Compiling failed\n  last line',
    ])
  })

  it('with verbose, shows commands, tool output and debug lines as they come', () => {
    const r = reporter(true)
    compilePhase(r, false)
    expect(r.said).toContain('    [command]/usr/bin/make -C pil21/src')
    expect(r.said).toContain('    clang -c base.ll')
    expect(r.said).toContain('    debug: Downloading http://x/pil21.tgz')
  })

  it('words warnings and notices, undoing the command escapes, and drops runner-only commands', () => {
    const r = reporter()
    r.line('::warning::No sha256 is known: 100%25 sure%0Anext')
    r.line("::notice::Input 'architecture': 'amd64' is read as 'x86_64'")
    r.line('::add-mask::secret')
    expect(r.said).toEqual([
      '  warning: No sha256 is known: 100% sure\n    next',
      "  notice: Input 'architecture': 'amd64' is read as 'x86_64'",
    ])
  })
})

describe('outputsTable', () => {
  it('aligns the values under a header', () => {
    expect(outputsTable({ 'layer-zip': '/tmp/l.zip', 'cache-hit': 'true' })).toBe(
      ['output     value', '---------  -----', 'layer-zip  /tmp/l.zip', 'cache-hit  true'].join(
        '\n',
      ),
    )
  })

  it('is empty without outputs', () => {
    expect(outputsTable({})).toBe('')
  })
})

it('seconds: tenths under a minute, minutes and seconds above', () => {
  expect(seconds(40)).toBe('0.0 s')
  expect(seconds(9_340)).toBe('9.3 s')
  expect(seconds(59_949)).toBe('59.9 s')
  expect(seconds(59_950)).toBe('1 min 0 s')
  expect(seconds(119_600)).toBe('2 min 0 s')
  expect(seconds(125_000)).toBe('2 min 5 s')
})
