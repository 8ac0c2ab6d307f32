import { expect, test } from 'vitest'
import { selectBuilder } from '../../src/build/builders/index.js'
import { buildEnvironment } from '../../src/build/cache.js'
import type { BuildInputs } from '../../src/inputs/build-inputs.js'

const inputs = (architecture: BuildInputs['architecture']) =>
  ({ architecture, builder: 'native', installDependencies: false }) as BuildInputs

test('the native builder builds for the runner it runs on', async () => {
  const builder = selectBuilder(inputs('x86_64'), 'x86_64')
  expect(builder.name).toBe('native')
  expect(builder.architecture).toBe('x86_64')
  const { osId, osVersion, libc } = buildEnvironment()
  expect(await builder.identity()).toEqual([`${osId}${osVersion}`, `glibc${libc}`])
})

test('another architecture than the runner is refused before anything is fetched', () => {
  expect(() => selectBuilder(inputs('arm64'), 'x86_64')).toThrow(
    "Input 'architecture': asks for arm64, but the native builder can only build for this x86_64 runner",
  )
})
