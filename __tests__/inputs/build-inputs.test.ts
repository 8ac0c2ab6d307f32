import { afterEach, expect, test } from 'vitest'
import {
  parseArchitecture,
  parseBuilderImage,
  parseSha256,
  parseVersion,
  readBuildInputs,
  siblingUrl,
} from '../../src/inputs/build-inputs.js'
import { InputError } from '../../src/inputs/input-error.js'
import { LIBRARIES } from '../../src/inputs/libraries.js'
import { DEFAULT_VERSION, KNOWN_SHA256 } from '../../src/inputs/releases.js'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

test('versions are YY.M or rolling; the default is the newest known release', () => {
  expect(parseVersion('')).toBe(DEFAULT_VERSION)
  expect(parseVersion('24.3')).toBe('24.3')
  expect(parseVersion('25.12')).toBe('25.12')
  expect(parseVersion('rolling')).toBe('rolling')
  for (const bad of ['24', '24.13', '24.0', '2024.3', 'v24.3', '24.3.1', 'latest']) {
    expect(() => parseVersion(bad), bad).toThrow(InputError)
  }
})

test('sha256 must be 64 hex digits and is lower-cased', () => {
  expect(parseSha256('source-sha256', 'AB'.repeat(32))).toBe('ab'.repeat(32))
  expect(parseSha256('source-sha256', '')).toBeUndefined()
  expect(() => parseSha256('source-sha256', 'xyz')).toThrow(
    /Input 'source-sha256': must be a sha256/,
  )
})

test('architectures take Lambda names, and aliases with a notice', () => {
  expect(parseArchitecture('arm64')).toBe('arm64')
  expect(parseArchitecture('aarch64')).toBe('arm64')
  expect(parseArchitecture('amd64')).toBe('x86_64')
  expect(() => parseArchitecture('i386')).toThrow(/Input 'architecture': must be x86_64 or arm64/)
})

test('a LICENSE sits beside its library, for URLs and paths', () => {
  expect(siblingUrl('https://h/aw/x/abc/json.l', 'LICENSE')).toBe('https://h/aw/x/abc/LICENSE')
  expect(siblingUrl('/mirror/json/json.l', 'LICENSE')).toBe('/mirror/json/LICENSE')
})

test('defaults: the pinned libraries, a known digest and a workspace zip', () => {
  process.env.GITHUB_WORKSPACE = '/work/space'
  process.env['INPUT_PICOLISP-VERSION'] = '24.3'
  const inputs = readBuildInputs()
  expect(inputs.sourceUrl).toBe('https://software-lab.de/picoLisp-24.3.tgz')
  expect(inputs.sourceSha256).toBe(KNOWN_SHA256['24.3'])
  expect(inputs.output).toMatch(/^\/work\/space\/picolisp-layer-24\.3-(x86_64|arm64)\.zip$/)
  expect(inputs.libraries.map((l) => [l.url, l.sha256])).toEqual(
    LIBRARIES.map((l) => [l.url, l.sha256]),
  )
  expect(inputs.cache && inputs.installDependencies).toBe(true)
})

test('a library can be left out', () => {
  process.env['INPUT_INCLUDE-AWSCURL'] = 'false'
  expect(readBuildInputs().libraries.map((l) => l.pin.id)).toEqual(['json'])
})

test('booleans must be booleans', () => {
  process.env.INPUT_CACHE = 'yes'
  expect(() => readBuildInputs()).toThrow(/Input 'cache': must be true or false, got 'yes'/)
})

test('builder-image is one Docker reference, never an option or more than one line', () => {
  for (const image of [
    'public.ecr.aws/amazonlinux/amazonlinux:2023',
    'localhost:5000/team/builder:v1.2',
    `amazonlinux@sha256:${'a'.repeat(64)}`,
  ]) {
    expect(parseBuilderImage(image, 'docker')).toBe(image)
  }
  for (const image of ['--privileged', 'image\n::error::injected', 'two words']) {
    expect(() => parseBuilderImage(image, 'docker'), image).toThrow(
      "Input 'builder-image': must be one Docker image reference",
    )
  }
  expect(() => parseBuilderImage('amazonlinux:2023', 'native')).toThrow(
    "Input 'builder-image': applies only to builder 'docker'",
  )
})
