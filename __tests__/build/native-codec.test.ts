import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { addNativeCodec, nativeCodecDigest } from '../../src/build/native-codec.js'

// The codec is built by the tree's own make (a real build: __tests__/action/build.test.ts
// and, for aarch64, __tests__/build/cross-build.test.ts). Here: what the rules do when
// the codec cannot compile, and what the cache key sees.

const RUNTIME = path.resolve(import.meta.dirname, '..', '..', 'runtime')

/** A tree whose make builds only a stand-in interpreter that cannot run. */
async function fakeTree(): Promise<string> {
  const tree = await fs.mkdtemp(path.join(os.tmpdir(), 'native-codec-'))
  await fs.mkdir(path.join(tree, 'src'))
  await fs.writeFile(
    path.join(tree, 'src', 'Makefile'),
    [
      'BIN = ../bin',
      'LIB = ../lib',
      'all: $(BIN)/picolisp',
      '$(BIN)/picolisp:',
      "\tmkdir -p $(BIN) $(LIB) && printf '#!/bin/sh\\nexit 1\\n' > $@ && chmod +x $@",
      '',
    ].join('\n'),
  )
  return tree
}

test('a codec that does not compile leaves the build whole, without the library', async () => {
  const tree = await fakeTree()
  await addNativeCodec(tree, RUNTIME)
  // One module: json.l, then http.l, which ends it
  const [json, http] = await Promise.all(
    ['json.l', 'http.l'].map((file) => fs.readFile(path.join(RUNTIME, 'native', file), 'utf8')),
  )
  expect(await fs.readFile(path.join(tree, 'src', 'lambdajson.l'), 'utf8')).toBe(json + http)
  expect(http.trimEnd().endsWith('(end)')).toBe(true)
  const out = execFileSync('make', ['-C', path.join(tree, 'src')], { encoding: 'utf8' })
  expect(out).toContain('lambdajson.so: not built')
  await expect(fs.stat(path.join(tree, 'lib', 'lambdajson.so'))).rejects.toThrow()
  expect((await fs.stat(path.join(tree, 'bin', 'picolisp'))).isFile()).toBe(true)
})

test('LAMBDAJSON= builds without the codec at all', async () => {
  const tree = await fakeTree()
  await addNativeCodec(tree, RUNTIME)
  const out = execFileSync('make', ['-C', path.join(tree, 'src'), 'LAMBDAJSON='], {
    encoding: 'utf8',
  })
  expect(out).not.toContain('lambdajson')
})

test.each(['json.l', 'http.l'])(
  "the library's source %s is part of the cache key",
  async (file) => {
    const runtime = await fs.mkdtemp(path.join(os.tmpdir(), 'native-codec-runtime-'))
    await fs.cp(path.join(RUNTIME, 'native'), path.join(runtime, 'native'), { recursive: true })
    const before = await nativeCodecDigest(runtime)
    expect(before).toBe(await nativeCodecDigest(RUNTIME))
    await fs.appendFile(path.join(runtime, 'native', file), '# changed\n')
    expect(await nativeCodecDigest(runtime)).not.toBe(before)
  },
)
