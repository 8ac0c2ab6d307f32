import * as path from 'node:path'
import * as core from '@actions/core'
import type { Architecture } from '../common/types.js'
import { LIBRARIES, type LibraryPin } from '../layer/libraries.js'
import { DEFAULT_VERSION, KNOWN_SHA256, releaseUrl } from '../source/releases.js'

/** A bundled library as this run fetches it. */
export interface LibrarySource {
  pin: LibraryPin
  url: string
  sha256: string
  licenseUrl: string
  licenseSha256: string
}

export interface BuildInputs {
  /** `YY.M` or `rolling`. */
  version: string
  sourceUrl: string
  /** Expected tarball digest, when the user or the release table knows it. */
  sourceSha256?: string
  /** True when that digest is the release table's, not the user's. */
  sourceSha256FromTable: boolean
  architecture: Architecture
  builder: BuilderName
  /** The Docker builder's base image (input 'builder-image'); empty for its default. */
  builderImage: string
  installDependencies: boolean
  cache: boolean
  libraries: LibrarySource[]
  extraFiles: string[]
  workspace: string
  /** Absolute path of the zip to write. */
  output: string
}

/** Thrown for input that cannot work; the message names the input and what was expected. */
export class InputError extends Error {}

const SHA256 = /^[0-9a-f]{64}$/

function text(name: string): string {
  return core.getInput(name).trim()
}

/** Like core.getBooleanInput, but with the action.yml default when the input is unset. */
export function booleanInput(name: string, fallback: boolean): boolean {
  return parseBoolean(name, text(name), fallback)
}

/** The YAML 1.2 core booleans core.getBooleanInput accepts; empty gives `fallback`. */
export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback
  if (/^(true|True|TRUE)$/.test(value)) return true
  if (/^(false|False|FALSE)$/.test(value)) return false
  throw new InputError(`Input '${name}' must be true or false, got '${value}'.`)
}

export function parseVersion(value: string): string {
  const version = value || DEFAULT_VERSION
  if (version === 'rolling') return version
  const match = /^(\d{2})\.(\d{1,2})$/.exec(version)
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) {
    throw new InputError(
      `Input 'picolisp-version' must be a release as YY.M (for example ${DEFAULT_VERSION}) or 'rolling', got '${version}'.`,
    )
  }
  return version
}

export function parseSha256(name: string, value: string): string | undefined {
  if (value === '') return undefined
  const digest = value.toLowerCase()
  if (!SHA256.test(digest)) {
    throw new InputError(
      `Input '${name}' must be a sha256 digest of 64 hexadecimal characters, got '${value}'.`,
    )
  }
  return digest
}

const ARCH_ALIASES: Record<string, Architecture> = { amd64: 'x86_64', aarch64: 'arm64' }

export function runnerArchitecture(): Architecture {
  return process.arch === 'arm64' ? 'arm64' : 'x86_64'
}

export function parseArchitecture(value: string): Architecture {
  if (value === '') return runnerArchitecture()
  if (value === 'x86_64' || value === 'arm64') return value
  const alias = ARCH_ALIASES[value]
  if (alias) {
    core.notice(`Input 'architecture': '${value}' is read as '${alias}', the name Lambda uses.`)
    return alias
  }
  throw new InputError(
    `Input 'architecture' must be x86_64 or arm64 (amd64 and aarch64 are accepted), got '${value}'.`,
  )
}

export type BuilderName = 'native' | 'docker'

export function parseBuilder(value: string): BuilderName {
  if (value === '' || value === 'native') return 'native'
  if (value === 'docker') return 'docker'
  throw new InputError(`Input 'builder' must be 'native' or 'docker', got '${value}'.`)
}

/** 'builder-image' only means something to the Docker builder: elsewhere it is a mistake. */
export function parseBuilderImage(value: string, builder: BuilderName): string {
  if (value !== '' && builder !== 'docker') {
    throw new InputError(
      `Input 'builder-image' applies only to builder 'docker', but 'builder' is '${builder}'.`,
    )
  }
  return value
}

function libraryInputs(pin: LibraryPin): LibrarySource | undefined {
  if (!booleanInput(`include-${pin.id}`, true)) return undefined
  const url = text(`${pin.id}-url`)
  const digests = text(`${pin.id}-sha256`)
  if (url === '') {
    if (digests !== '') {
      throw new InputError(`Input '${pin.id}-sha256' only applies together with '${pin.id}-url'.`)
    }
    return {
      pin,
      url: pin.url,
      sha256: pin.sha256,
      licenseUrl: siblingUrl(pin.url, 'LICENSE'),
      licenseSha256: pin.licenseSha256,
    }
  }
  if (digests === '') {
    throw new InputError(
      `Input '${pin.id}-url' needs '${pin.id}-sha256': the sha256 of ${pin.file} (optionally followed by ',<sha256 of LICENSE>').`,
    )
  }
  const [fileDigest, licenseDigest = ''] = digests.split(',').map((d) => d.trim())
  const sha256 = parseSha256(`${pin.id}-sha256`, fileDigest) as string
  return {
    pin,
    url,
    sha256,
    licenseUrl: siblingUrl(url, 'LICENSE'),
    licenseSha256: parseSha256(`${pin.id}-sha256`, licenseDigest) ?? pin.licenseSha256,
  }
}

/** The URL or path of `name` in the same folder as `location`. */
export function siblingUrl(location: string, name: string): string {
  if (/^[a-z]+:\/\//i.test(location)) return new URL(name, location).toString()
  return path.join(path.dirname(location), name)
}

/** The zip to write: a `.zip` name on one line, relative to the workspace. */
export function parseOutput(value: string, workspace: string, fallback: string): string {
  if (/[\r\n]/.test(value)) {
    throw new InputError(
      `Input 'output' must be one path on one line, got ${JSON.stringify(value)}.`,
    )
  }
  const output = path.resolve(workspace, value || fallback)
  if (!/\.zip$/i.test(output)) {
    throw new InputError(`Input 'output' must name a .zip file, got '${value}'.`)
  }
  return output
}

export function readBuildInputs(): BuildInputs {
  const version = parseVersion(text('picolisp-version'))
  const architecture = parseArchitecture(text('architecture'))
  const workspace = path.resolve(process.env.GITHUB_WORKSPACE || process.cwd())
  const output = parseOutput(
    text('output'),
    workspace,
    `picolisp-layer-${version}-${architecture}.zip`,
  )
  const sourceSha256 = parseSha256('source-sha256', text('source-sha256'))
  const builder = parseBuilder(text('builder'))
  return {
    version,
    sourceUrl: text('source-url') || releaseUrl(version),
    sourceSha256: sourceSha256 ?? KNOWN_SHA256[version],
    sourceSha256FromTable: sourceSha256 === undefined && KNOWN_SHA256[version] !== undefined,
    architecture,
    builder,
    builderImage: parseBuilderImage(text('builder-image'), builder),
    installDependencies: booleanInput('install-dependencies', true),
    cache: booleanInput('cache', true),
    libraries: LIBRARIES.map(libraryInputs).filter((l): l is LibrarySource => l !== undefined),
    extraFiles: core
      .getMultilineInput('extra-files')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
    workspace,
    output,
  }
}
