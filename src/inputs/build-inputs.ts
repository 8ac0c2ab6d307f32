import * as path from 'node:path'
import * as core from '@actions/core'
import type { Architecture } from '../common/types.js'
import { InputError } from './input-error.js'
import { LIBRARIES, type LibraryPin } from './libraries.js'
import { actionInput, boolean, type InputReader, lines, text } from './read.js'
import { DEFAULT_VERSION, KNOWN_SHA256, releaseUrl } from './releases.js'

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
  /** Globs of shared objects for the layer's lib/ (/opt/lib, on Lambda's library path). */
  sharedLibraries: string[]
  /** apt source lines of a cross build's sysroot; undefined: the runner's release's archive. */
  sysrootSources?: string[]
  workspace: string
  /** Absolute path of the zip to write. */
  output: string
}

const SHA256 = /^[0-9a-f]{64}$/

export function parseVersion(value: string): string {
  const version = value || DEFAULT_VERSION
  if (version === 'rolling') return version
  const match = /^(\d{2})\.(\d{1,2})$/.exec(version)
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) {
    throw InputError.invalid(
      'picolisp-version',
      `must be a release as YY.M (for example ${DEFAULT_VERSION}) or 'rolling'`,
      version,
    )
  }
  return version
}

export function parseSha256(name: string, value: string): string | undefined {
  if (value === '') return undefined
  const digest = value.toLowerCase()
  if (!SHA256.test(digest)) {
    throw InputError.invalid(name, 'must be a sha256 digest of 64 hexadecimal characters', value)
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
  throw InputError.invalid(
    'architecture',
    'must be x86_64 or arm64 (amd64 and aarch64 are accepted)',
    value,
  )
}

export type BuilderName = 'native' | 'docker'

export function parseBuilder(value: string): BuilderName {
  if (value === '' || value === 'native') return 'native'
  if (value === 'docker') return 'docker'
  throw InputError.invalid('builder', "must be 'native' or 'docker'", value)
}

/** 'builder-image' only means something to the Docker builder: elsewhere it is a mistake. */
export function parseBuilderImage(value: string, builder: BuilderName): string {
  if (value !== '' && builder !== 'docker') {
    throw new InputError(
      'builder-image',
      `applies only to builder 'docker', but 'builder' is '${builder}'.`,
    )
  }
  // One Docker reference: it goes to docker's command line and the log as it is.
  if (value !== '' && !DOCKER_REFERENCE.test(value)) {
    throw InputError.invalid(
      'builder-image',
      'must be one Docker image reference, such as public.ecr.aws/amazonlinux/amazonlinux:2023',
      value,
    )
  }
  return value
}

/** [registry[:port]/]name[:tag][@digest]: one word of these characters, not an option. */
const DOCKER_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/

function libraryInputs(read: InputReader, pin: LibraryPin): LibrarySource | undefined {
  if (!boolean(read, `include-${pin.id}`, true)) return undefined
  const url = text(read, `${pin.id}-url`)
  const digests = text(read, `${pin.id}-sha256`)
  if (url === '') {
    if (digests !== '') {
      throw new InputError(`${pin.id}-sha256`, `only applies together with '${pin.id}-url'.`)
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
      `${pin.id}-url`,
      `needs '${pin.id}-sha256': the sha256 of ${pin.file} (optionally followed by ',<sha256 of LICENSE>').`,
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
    throw InputError.invalid('output', 'must be one path on one line', value)
  }
  const output = path.resolve(workspace, value || fallback)
  if (!/\.zip$/i.test(output)) {
    throw InputError.invalid('output', 'must name a .zip file', value)
  }
  return output
}

/** apt one-line sources (`deb [options] <uri> <suite> <component>…`); none: the default. */
export function parseSysrootSources(sources: string[]): string[] | undefined {
  for (const line of sources) {
    if (!/^deb(\s+\[[^\]]*\])?\s+\S+\s+\S+\s+\S+/.test(line)) {
      throw InputError.invalid(
        'sysroot-sources',
        "must be apt source lines like 'deb [signed-by=<keyring>] <uri> <suite> main'",
        line,
      )
    }
  }
  return sources.length > 0 ? sources : undefined
}

export function readBuildInputs(read: InputReader = actionInput): BuildInputs {
  const version = parseVersion(text(read, 'picolisp-version'))
  const architecture = parseArchitecture(text(read, 'architecture'))
  const workspace = path.resolve(process.env.GITHUB_WORKSPACE || process.cwd())
  const output = parseOutput(
    text(read, 'output'),
    workspace,
    `picolisp-layer-${version}-${architecture}.zip`,
  )
  const sourceSha256 = parseSha256('source-sha256', text(read, 'source-sha256'))
  const builder = parseBuilder(text(read, 'builder'))
  return {
    version,
    sourceUrl: text(read, 'source-url') || releaseUrl(version),
    sourceSha256: sourceSha256 ?? KNOWN_SHA256[version],
    sourceSha256FromTable: sourceSha256 === undefined && KNOWN_SHA256[version] !== undefined,
    architecture,
    builder,
    builderImage: parseBuilderImage(text(read, 'builder-image'), builder),
    installDependencies: boolean(read, 'install-dependencies', true),
    cache: boolean(read, 'cache', true),
    libraries: LIBRARIES.map((pin) => libraryInputs(read, pin)).filter(
      (l): l is LibrarySource => l !== undefined,
    ),
    extraFiles: lines(read, 'extra-files'),
    sharedLibraries: lines(read, 'shared-libraries'),
    sysrootSources: parseSysrootSources(lines(read, 'sysroot-sources')),
    workspace,
    output,
  }
}
