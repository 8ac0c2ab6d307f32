import { expect, test } from 'vitest'
import { InputError, shown } from '../../src/inputs/input-error.js'
import { lines, parseBoolean, text } from '../../src/inputs/read.js'

test('every input error names the input first, then what is wrong and what was given', () => {
  const error = InputError.invalid('keep-versions', 'must be a whole number', 'all')
  expect(error).toBeInstanceOf(InputError)
  expect(error.input).toBe('keep-versions')
  expect(error.message).toBe("Input 'keep-versions': must be a whole number, got 'all'.")
})

test('a value with quotes or control characters is shown escaped, on one line', () => {
  expect(shown('plain value')).toBe("'plain value'")
  expect(shown("it's")).toBe('"it\'s"')
  expect(shown('two\nlines')).toBe('"two\\nlines"')
  expect(shown('\u001b[31mred')).toBe('"\\u001b[31mred"')
})

test('inputs are read through one reader: trimmed text, lines without comments, booleans', () => {
  const values: Record<string, string> = {
    name: '  padded \n',
    list: 'a.l\n\n  # a comment\n  b/*.l  \n',
    flag: 'True',
  }
  const read = (name: string) => values[name] ?? ''
  expect(text(read, 'name')).toBe('padded')
  expect(lines(read, 'list')).toEqual(['a.l', 'b/*.l'])
  expect(parseBoolean('flag', text(read, 'flag'), false)).toBe(true)
  expect(parseBoolean('unset', text(read, 'unset'), true)).toBe(true)
  expect(() => parseBoolean('flag', 'yes', false)).toThrow(
    "Input 'flag': must be true or false, got 'yes'.",
  )
})
