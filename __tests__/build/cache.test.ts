import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import {
  type BuildIdentity,
  buildEnvironment,
  cacheKey,
  RECIPE_VERSION,
} from '../../src/build/cache.js'

const base: BuildIdentity = {
  version: '26.6',
  sourceSha256: 'a'.repeat(64),
  architecture: 'x86_64',
  builder: 'native',
  environment: ['ubuntu24.04', 'glibc2.39'],
}

test('the key is readable and names every input of the binary', () => {
  expect(cacheKey(base)).toBe(
    `picolisp-26.6-x86_64-native-ubuntu24.04-glibc2.39-r${RECIPE_VERSION}-${'a'.repeat(64)}`,
  )
})

test.each([
  ['version', '24.3'],
  ['sourceSha256', 'b'.repeat(64)],
  ['architecture', 'arm64'],
  ['builder', 'docker'],
  ['environment', ['ubuntu22.04', 'glibc2.39']],
  ['environment', ['ubuntu24.04', 'glibc2.35']],
] as const)(
  'a different %s gives a different key, so matrix jobs never collide',
  (field, value) => {
    expect(cacheKey({ ...base, [field]: value })).not.toBe(cacheKey(base))
  },
)

test('the build environment comes from os-release and the running glibc', async () => {
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'os-')), 'os-release')
  await fs.writeFile(file, 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n')
  const env = buildEnvironment(file)
  expect(env.osId).toBe('ubuntu')
  expect(env.osVersion).toBe('22.04')
  expect(env.libc).toMatch(/^\d+\.\d+$/)
})
