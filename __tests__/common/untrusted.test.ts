import { describe, expect, it } from 'vitest'
import { neutralise, neutraliseHtml } from '../../src/common/untrusted.js'

// What the runner reads as a command: a line starting (after blanks) with `::name…::`,
// or any line holding a legacy `##[name…]`.
const isCommandLine = (line: string) => /^\s*::[^:]*::/.test(line) || line.includes('##[')

describe('neutralise', () => {
  it('leaves ordinary values alone', () => {
    for (const value of [
      'arn:aws:lambda:us-east-1:123456789012:layer:picolisp:3',
      'arn:aws:iam::123456789012:root',
      '/home/runner/work/x/picolisp-layer.zip',
      'Value at "layerName" failed: 50% of 2 <limits>\ttab',
    ]) {
      expect(neutralise(value)).toBe(value)
    }
  })

  it('makes a value one line, showing its line breaks and control characters', () => {
    expect(neutralise('a\nb\r\nc\u0007d\u2028e')).toBe('a\\nb\\r\\nc\\u0007d\\u2028e')
  })

  it('leaves no line the runner would read as a command, wherever the value is printed', () => {
    const hostile = [
      'arn:aws:lambda:x\n::warning::injected',
      '::add-mask::x',
      '   ::set-env name=A::b',
      'text ##[warning]legacy',
      '\r::error::x\n##[add-mask]y',
    ]
    for (const value of hostile) {
      const shown = neutralise(value)
      for (const printed of [shown, `prefix: ${shown}`]) {
        expect(printed.split(/\r\n|\r|\n/).filter(isCommandLine)).toEqual([])
      }
    }
  })

  it('also escapes HTML for the job summary', () => {
    expect(neutraliseHtml('<img src="x"> & \n::warning::y')).toBe(
      '&lt;img src=&quot;x&quot;&gt; &amp; \\n::warning::y',
    )
  })
})
