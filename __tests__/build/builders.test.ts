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

test('another architecture than the runner is cross-compiled, both ways', async () => {
  const arm64 = selectBuilder(inputs('arm64'), 'x86_64')
  expect([arm64.name, arm64.architecture]).toEqual(['cross', 'arm64'])
  expect((await arm64.identity())[0]).toBe('aarch64-linux-gnu')
  const x86 = selectBuilder(inputs('x86_64'), 'arm64')
  expect([x86.name, x86.architecture]).toEqual(['cross', 'x86_64'])
  expect((await x86.identity())[0]).toBe('x86_64-linux-gnu')
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

test('sysroot-sources is refused where no sysroot is used: a native or a Docker build', () => {
  const sources = ['deb http://mirror.example/ubuntu-ports noble main']
  expect(() => selectBuilder({ ...inputs('x86_64'), sysrootSources: sources }, 'x86_64')).toThrow(
    /^Input 'sysroot-sources': applies only to a cross build .* but this is a native build for x86_64: remove it\.$/,
  )
  expect(() =>
    selectBuilder({ ...inputs('arm64'), builder: 'docker', sysrootSources: sources }, 'x86_64'),
  ).toThrow(/but this is a Docker build for arm64/)
  const cross = selectBuilder({ ...inputs('arm64'), sysrootSources: sources }, 'x86_64')
  expect(cross.name).toBe('cross')
})
