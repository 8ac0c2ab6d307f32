import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { GLIBC_LIBRARIES } from '../../common/lambda-limits.js'
import type { Architecture } from '../../common/types.js'
import { runnerArchitecture } from '../../inputs/build-inputs.js'
import { logTail } from '../compile.js'
import { checkDocker, docker, dockerLogged, imageId } from '../docker-cli.js'
import { olderBindings, writeGlibcBinding } from '../glibc-binding.js'
import { foldShippedIr } from '../ir-compat.js'
import { makefileOptFlags, makeVariables, parseLlvmMajor } from '../toolchain.js'
import type { Builder } from './builder.js'

/*
 * The Docker builder compiles pil21 inside a container of docker/Dockerfile's
 * image (Amazon Linux 2023 unless input 'builder-image' names another base), so
 * the binaries link against the glibc Lambda's provided.al2023 has, whatever
 * the runner's OS. The source is mounted read-only and copied into a runner
 * folder mounted read-write, where make runs as the runner's user: the files
 * it leaves are the runner's, never root's. Containers get no network.
 */

export const DEFAULT_BUILDER_IMAGE = 'public.ecr.aws/amazonlinux/amazonlinux:2023'

/** The files of docker/ that make the image; their hash names it and enters the cache key. */
const RECIPE_FILES = ['Dockerfile', 'install-build-tools.sh']

/** Where the container sees the source tree, the runner's work folder and a built tree. */
const SOURCE_MOUNT = '/src'
const WORK_MOUNT = '/work'
const HOME_MOUNT = '/pil'

export interface DockerBuilderOptions {
  architecture: Architecture
  /** The image docker/Dockerfile builds on (input 'builder-image'). */
  baseImage?: string
  /** The folder with the Dockerfile; found next to the action's code by default. */
  recipeDir?: string
  /** Whose files the container writes: the runner's user by default. */
  user?: { uid: number; gid: number }
}

/** The docker/ folder of the action: dist/../docker, or src/build/builders/../../../docker. */
export function findRecipeDir(start = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'docker', 'Dockerfile'))) return path.join(dir, 'docker')
    if (path.dirname(dir) === dir) {
      throw new Error(`No docker/Dockerfile found in ${start} or any folder above it.`)
    }
  }
}

/** A hash of the recipe files' names and contents. */
export async function recipeHash(recipeDir: string): Promise<string> {
  const hash = createHash('sha256')
  for (const name of RECIPE_FILES) {
    hash.update(`${name}\0`)
    hash.update(await fs.readFile(path.join(recipeDir, name)))
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** Where make's command line and the glibc exports come from: one probe run in the container. */
const PROBE = `opt --version
echo '--- exports'
for library in ${GLIBC_LIBRARIES.join(' ')}; do
  file=$(clang -print-file-name=$library)
  case $file in /*) readelf -W --dyn-syms "$file" ;; esac
done`

export class DockerBuilder implements Builder {
  readonly name = 'docker'
  readonly architecture: Architecture
  readonly baseImage: string
  private readonly recipeDir: string
  private readonly user: { uid: number; gid: number }
  private base?: { id: string; recipe: string }
  private image?: string

  constructor(options: DockerBuilderOptions) {
    this.architecture = options.architecture
    this.baseImage = options.baseImage || DEFAULT_BUILDER_IMAGE
    this.recipeDir = options.recipeDir ?? findRecipeDir()
    this.user = options.user ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  }

  /**
   * The base image's ID and the recipe's hash: the same on every runner for the
   * same base and Dockerfile, unlike the ID of the image built from them, which
   * every build makes new (layer times) and would miss the cache on every run.
   */
  async identity(): Promise<string[]> {
    const { id, recipe } = await this.resolveBase()
    return [`image${id.replace(/^sha256:/, '').slice(0, 12)}`, `recipe${recipe.slice(0, 12)}`]
  }

  async prepare(): Promise<void> {
    await this.builderImage()
  }

  /**
   * Copies the tree into a runner folder and runs make there in the container,
   * then brings bin/ and lib/ (all that make writes outside src/) back into
   * `sourceDir`, where the layer is assembled from.
   */
  buildsNativeCodec(): boolean {
    return true
  }

  async compile(sourceDir: string, scratch: string): Promise<void> {
    const image = await this.builderImage()
    await foldShippedIr(path.join(sourceDir, 'src'))
    // The scratch folder is the runner's: the container, as the runner's user, may write there.
    const variables = await this.makeVariables(image, sourceDir, scratch)
    const script = `set -e
cp -a ${SOURCE_MOUNT}/. ${WORK_MOUNT}/tree
exec make -C ${WORK_MOUNT}/tree/src "$@"`
    const { exitCode, log } = await dockerLogged(`make in ${image}: ${variables.join(' ')}`, [
      ...this.runArgs(),
      ...mount(sourceDir, SOURCE_MOUNT, true),
      ...mount(scratch, WORK_MOUNT, false),
      image,
      'sh',
      '-c',
      script,
      'make',
      ...variables,
    ])
    if (exitCode !== 0) {
      throw new Error(
        `Compiling PicoLisp in the Docker builder (${image}, base ${this.baseImage}) failed ` +
          `(exit ${exitCode}). Last lines of the log (the whole log is in the group above):\n${logTail(log)}` +
          this.emulationHint(),
      )
    }
    for (const dir of ['bin', 'lib']) {
      await fs.cp(path.join(scratch, 'tree', dir), path.join(sourceDir, dir), {
        recursive: true,
        force: true,
        preserveTimestamps: true,
      })
    }
  }

  /** Runs the built interpreter in the container, where its libraries are. */
  async version(sourceDir: string): Promise<string> {
    const image = await this.builderImage()
    const run = await docker([
      ...this.runArgs(),
      ...mount(sourceDir, HOME_MOUNT, true),
      image,
      `${HOME_MOUNT}/bin/picolisp`,
      `${HOME_MOUNT}/lib.l`,
      '-prinl (glue "." (version T))',
      '-bye',
    ])
    const version = run.stdout.trim()
    if (run.exitCode !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
      throw new Error(
        `The interpreter built in the Docker builder does not run there (exit ${run.exitCode}): ` +
          (run.stderr || run.stdout).trim() +
          this.emulationHint(),
      )
    }
    return version
  }

  /** For a layer of another architecture than the runner's, the containers need QEMU. */
  private emulationHint(): string {
    const runner = runnerArchitecture()
    if (runner === this.architecture) return ''
    return (
      `\nThe containers of an ${this.architecture} build on this ${runner} runner run under QEMU: ` +
      'register it first (docker/setup-qemu-action).'
    )
  }

  /** `docker run` for one throw-away container: no network, the runner's user. */
  private runArgs(): string[] {
    return [
      'run',
      '--rm',
      '--platform',
      this.platform,
      '--network',
      'none',
      '--user',
      `${this.user.uid}:${this.user.gid}`,
      '--env',
      'HOME=/tmp',
    ]
  }

  /** Docker's name for the layer's architecture. */
  private get platform(): string {
    return `linux/${this.architecture === 'arm64' ? 'arm64' : 'amd64'}`
  }

  /** The base's ID, pulled first when it is not on this machine. */
  private async resolveBase(): Promise<{ id: string; recipe: string }> {
    if (this.base) return this.base
    await checkDocker()
    let id = await imageId(this.baseImage)
    if (!id) {
      const { exitCode, log } = await dockerLogged(`docker pull ${this.baseImage}`, [
        'pull',
        '--platform',
        this.platform,
        this.baseImage,
      ])
      id = exitCode === 0 ? await imageId(this.baseImage) : undefined
      if (!id) {
        throw new Error(
          `The Docker builder's base image ${this.baseImage} is not on this runner and could not be ` +
            `pulled (exit ${exitCode}):\n${logTail(log)}\nCheck input 'builder-image' and the runner's ` +
            'network access; a runner without network needs the image loaded first (docker load).',
        )
      }
    }
    await this.checkArchitecture()
    this.base = { id, recipe: await recipeHash(this.recipeDir) }
    return this.base
  }

  /** A base of another architecture would build a layer that cannot run on the target. */
  private async checkArchitecture(): Promise<void> {
    const run = await docker([
      'image',
      'inspect',
      '--format',
      '{{.Os}}/{{.Architecture}}',
      this.baseImage,
    ])
    const found = run.stdout.trim()
    if (found !== this.platform) {
      throw new Error(
        `The Docker builder's base image ${this.baseImage} is ${found || 'of an unknown platform'}, ` +
          `but the layer is for ${this.architecture} (${this.platform}): check input ` +
          "'builder-image' and 'architecture'.",
      )
    }
  }

  /** The builder image for this base and recipe: reused when this machine has it, else built. */
  private async builderImage(): Promise<string> {
    if (this.image) return this.image
    const { id, recipe } = await this.resolveBase()
    const tag = `picolisp-lambda-builder:${createHash('sha256').update(`${id}\n${recipe}`).digest('hex').slice(0, 16)}`
    if (!(await imageId(tag))) {
      const { exitCode, log } = await dockerLogged(`docker build ${tag} on ${this.baseImage}`, [
        'build',
        '--platform',
        this.platform,
        '--build-arg',
        `BASE=${this.baseImage}`,
        '--tag',
        tag,
        this.recipeDir,
      ])
      if (exitCode !== 0) {
        throw new Error(
          `Building the Docker builder's image on ${this.baseImage} failed (docker build exited ` +
            `${exitCode}). Last lines:\n${logTail(log)}\nThe base must be Amazon Linux 2023 (its ` +
            "packages are installed with dnf) or have pil21's build tools already (docker/README.md): " +
            "check input 'builder-image'.",
        )
      }
    }
    core.info(`Docker builder image: ${tag} (base ${this.baseImage}, ${id})`)
    this.image = tag
    return tag
  }

  /**
   * make's variables for the container's LLVM, with the glibc-binding llc when
   * the container's glibc is newer than provided.al2023's (a newer base given
   * as 'builder-image'): the same binding a native build on a newer runner gets.
   */
  private async makeVariables(image: string, sourceDir: string, work: string): Promise<string[]> {
    const probe = await docker([...this.runArgs(), image, 'sh', '-c', PROBE])
    const [optVersion, exports = ''] = probe.stdout.split('--- exports\n')
    const major = parseLlvmMajor(optVersion)
    if (probe.exitCode !== 0 || major === undefined) {
      throw new Error(
        `The Docker builder's image ${image} has no working LLVM: 'opt --version' there gave ` +
          `(exit ${probe.exitCode}): ${(probe.stderr || probe.stdout).trim()}`,
      )
    }
    const llvm = { clang: 'clang', opt: 'opt', llc: 'llc', llvmLink: 'llvm-link' }
    const makefile = await fs.readFile(path.join(sourceDir, 'src', 'Makefile'), 'utf8')
    const variables = makeVariables(llvm, major, makefileOptFlags(makefile))
    const bindings = olderBindings(exports)
    if (bindings.length === 0) return variables
    const llc = await writeGlibcBinding(bindings, work, {
      llc: 'llc',
      seenAs: WORK_MOUNT,
      whose: "the builder image's",
    })
    return [...variables, `LLC=${llc}`]
  }
}

/** A bind mount; `-v` cannot take a path with a colon, so such a path is refused by name. */
function mount(hostPath: string, target: string, readOnly: boolean): string[] {
  if (hostPath.includes(':') || hostPath.includes(',')) {
    throw new Error(`The Docker builder cannot mount ${hostPath}: its path has a ':' or ','.`)
  }
  return ['--mount', `type=bind,source=${hostPath},target=${target}${readOnly ? ',readonly' : ''}`]
}
