import { expect, test } from 'vitest'
import { DockerBuilder } from '../../src/build/builders/docker.js'
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

test('builder docker gives the Docker builder, with the base image asked for, for any architecture', () => {
  for (const architecture of ['x86_64', 'arm64'] as const) {
    const builder = selectBuilder(
      { ...inputs(architecture), builder: 'docker', builderImage: 'example/base:1' },
      'x86_64',
    )
    expect(builder).toBeInstanceOf(DockerBuilder)
    expect(builder.architecture).toBe(architecture)
    expect((builder as DockerBuilder).baseImage).toBe('example/base:1')
  }
})

test('builder docker without builder-image builds on Amazon Linux 2023', () => {
  const builder = selectBuilder(
    { ...inputs('x86_64'), builder: 'docker', builderImage: '' },
    'x86_64',
  )
  expect((builder as DockerBuilder).baseImage).toBe('public.ecr.aws/amazonlinux/amazonlinux:2023')
})
