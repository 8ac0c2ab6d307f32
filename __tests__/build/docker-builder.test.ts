import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { DockerBuilder } from '../../src/build/builders/docker.js'
import { cacheKey } from '../../src/build/cache.js'
import { foldShippedIr } from '../../src/build/ir-compat.js'
import { elfArchitecture } from '../../src/common/elf.js'
import { checkCompatibility } from '../../src/layer/compat.js'
import { extractSource } from '../../src/source/extract.js'
import { prepareDebianImages } from '../support/docker.js'
import { pilSource } from '../support/picolisp.js'
import { packPil21Tarball, sha256 } from '../support/pil-source.js'

/*
 * The Docker builder against a real dockerd, with the Debian images of
 * scripts/docker-images.sh as builder bases (this machine can pull nothing):
 * bookworm stands in for the Amazon Linux 2023 default, trixie (glibc 2.41,
 * LLVM 19) for a newer OS than Lambda's.
 */

const prepared = prepareDebianImages()
if ('skip' in prepared) console.warn(`Skipping the Docker builder tests. ${prepared.skip}`)
const images = 'images' in prepared ? prepared.images : undefined

/** The runner's user in the ownership test: not root. */
const RUNNER = { uid: 4321, gid: 4321 }

/** The ELF files of a compiled tree that go into the layer. */
const ELF_FILES = ['bin/picolisp', 'lib/ext.so', 'lib/ht.so']

let root: string
let tarball: string
const source = pilSource()

/** A fresh extracted tree and an empty scratch folder, as obtain.ts gives a builder. */
async function freshTree(name: string): Promise<{ sourceDir: string; scratch: string }> {
  const dir = path.join(root, name)
  const sourceDir = await extractSource(tarball, path.join(dir, 'source'))
  const scratch = path.join(dir, 'scratch')
  await fs.mkdir(scratch)
  return { sourceDir, scratch }
}

function builder(
  baseImage: string,
  extra: Partial<ConstructorParameters<typeof DockerBuilder>[0]> = {},
) {
  return new DockerBuilder({ architecture: 'x86_64', baseImage, ...extra })
}

/** Runs `fn` with what it prints (core.info writes to stdout) collected as lines. */
async function collectOutput(fn: () => Promise<void>): Promise<string[]> {
  let output = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    output += chunk.toString()
    return true
  })
  try {
    await fn()
  } finally {
    spy.mockRestore()
  }
  return output.split('\n')
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'docker-builder-'))
  tarball = (await packPil21Tarball(root, source)).path
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe.skipIf(!images)('the Docker builder on a Debian bookworm base', () => {
  const bookworm = images?.bookworm ?? ''
  let tree: { sourceDir: string; scratch: string }

  beforeAll(async () => {
    tree = await freshTree('bookworm')
    // The scratch folder is the runner's, as obtain.ts makes it: here a user that is not root.
    await fs.chown(tree.scratch, RUNNER.uid, RUNNER.gid)
    const docker = builder(bookworm, { user: RUNNER })
    await docker.prepare()
    await docker.compile(tree.sourceDir, tree.scratch)
  }, 600_000)

  test('compiles the tree in a container: x86_64 binaries that load on provided.al2023', async () => {
    for (const file of ELF_FILES) {
      expect(await elfArchitecture(path.join(tree.sourceDir, file))).toBe('x86_64')
    }
    await checkCompatibility(
      ELF_FILES.map((name) => ({ name, source: path.join(tree.sourceDir, name) })),
      new Set(),
    )
  })

  test('runs the built interpreter in the container for its version', async () => {
    expect(await builder(bookworm).version(tree.sourceDir)).toBe(source.version)
  })

  test('leaves the source as it was: make ran in a copy', async () => {
    // The read-only mount would have failed make had it written there; the copy holds make's work.
    await fs.access(path.join(tree.scratch, 'tree', 'src', 'picolisp.bc'))
    await expect(fs.access(path.join(tree.sourceDir, 'src', 'picolisp.bc'))).rejects.toThrow()
  })

  test("make ran as the runner's user: every file it wrote is theirs, none is root's", async () => {
    const copy = path.join(tree.scratch, 'tree')
    const owners = new Set<string>()
    for (const entry of await fs.readdir(copy, { recursive: true })) {
      const { uid, gid } = await fs.lstat(path.join(copy, entry))
      owners.add(`${uid}:${gid}`)
    }
    expect([...owners]).toEqual([`${RUNNER.uid}:${RUNNER.gid}`])
  })

  test('a compile that fails shows the end of make’s log and names the image', async () => {
    const broken = await freshTree('broken')
    await fs.appendFile(path.join(broken.sourceDir, 'src', 'lib.c'), '\nthis is not C;\n')
    await expect(builder(bookworm).compile(broken.sourceDir, broken.scratch)).rejects.toThrow(
      /Compiling PicoLisp in the Docker builder \(picolisp-lambda-builder:\w+, base .*bookworm.*\) failed \(exit 2\)\. Last lines of the log[\s\S]*lib\.c.*error/,
    )
  }, 300_000)
})

describe.skipIf(!images)('the cache key', () => {
  const { bookworm = '', trixie = '' } = images ?? {}
  const key = async (docker: DockerBuilder) =>
    cacheKey({
      version: source.release,
      sourceSha256: await sha256(tarball),
      architecture: 'x86_64',
      builder: docker.name,
      environment: await docker.identity(),
    })

  test("holds the base image's ID, so another image gives another key", async () => {
    const id = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', bookworm], {
      encoding: 'utf8',
    }).trim()
    const bookwormKey = await key(builder(bookworm))
    expect(bookwormKey).toContain(`-image${id.replace('sha256:', '').slice(0, 12)}-`)
    expect(await key(builder(trixie))).not.toBe(bookwormKey)
    expect(await key(builder(bookworm))).toBe(bookwormKey)
  })

  test("changes with docker/'s recipe", async () => {
    const recipeDir = path.join(root, 'recipe')
    await fs.cp(path.resolve(import.meta.dirname, '..', '..', 'docker'), recipeDir, {
      recursive: true,
    })
    const before = await key(builder(bookworm, { recipeDir }))
    await fs.appendFile(path.join(recipeDir, 'install-build-tools.sh'), '# changed\n')
    expect(await key(builder(bookworm, { recipeDir }))).not.toBe(before)
  })
})

describe.skipIf(!images)('on Debian trixie, a newer OS than Lambda’s (glibc 2.41, LLVM 19)', () => {
  const trixie = images?.trixie ?? ''

  test('the build binds glibc symbols to 2.34 and the layer passes the check', async () => {
    const tree = await freshTree('trixie')
    const docker = builder(trixie)
    const log = await collectOutput(async () => {
      await docker.prepare()
      await docker.compile(tree.sourceDir, tree.scratch)
    })
    expect(log).toContainEqual(
      expect.stringMatching(
        /^Binding fmod to fmod@GLIBC_2\.2\.5: the builder image's default, GLIBC_2\.38/,
      ),
    )
    await checkCompatibility(
      ELF_FILES.map((name) => ({ name, source: path.join(tree.sourceDir, name) })),
      new Set(),
    )
    expect(await docker.version(tree.sourceDir)).toBe(source.version)
  }, 600_000)

  test('without the binding, the check names fmod and gives the Docker builder as the remedy', async () => {
    // What a plain make links there: the interpreter compiled by hand in the same image
    // (the shipped IR folded for LLVM 19 as every build does, but no llc wrapper).
    const { sourceDir } = await freshTree('trixie-plain')
    await foldShippedIr(path.join(sourceDir, 'src'))
    execFileSync('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--mount',
      `type=bind,source=${sourceDir},target=/pil`,
      trixie,
      'make',
      '-s',
      '-C',
      '/pil/src',
      'LLVM=19',
      'ASM=opt -O2',
      '../bin/picolisp',
    ])
    const interpreter = { name: 'bin/picolisp', source: path.join(sourceDir, 'bin/picolisp') }
    await expect(checkCompatibility([interpreter], new Set())).rejects.toThrow(
      /bin\/picolisp needs fmod@GLIBC_2\.38, newer than provided\.al2023's glibc 2\.34\. [\s\S]*set input 'builder' to 'docker'/,
    )
  }, 600_000)
})

describe.skipIf(!images)('errors name the remedy', () => {
  test('no docker command', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      await expect(builder('any').identity()).rejects.toThrow(
        /Input 'builder' is 'docker', but there is no docker command on this runner's PATH\. Install Docker/,
      )
    } finally {
      process.env.PATH = path
    }
  })

  test('a daemon that does not answer', async () => {
    vi.stubEnv('DOCKER_HOST', `unix://${root}/no-daemon.sock`)
    try {
      await expect(builder('any').identity()).rejects.toThrow(
        /Docker's daemon does not answer: .*no-daemon\.sock[\s\S]*start it \(sudo systemctl start docker\)/,
      )
    } finally {
      vi.unstubAllEnvs()
    }
  })

  test('a base image that is not here and cannot be pulled', async () => {
    await expect(builder('picolisp-lambda-action-test/absent:none').identity()).rejects.toThrow(
      /base image picolisp-lambda-action-test\/absent:none is not on this runner and could not be pulled \(exit 1\):[\s\S]*Check input 'builder-image'/,
    )
  })

  test('a base of another architecture', async () => {
    const docker = new DockerBuilder({ architecture: 'arm64', baseImage: images?.bookworm })
    await expect(docker.identity()).rejects.toThrow(
      /base image .*bookworm.* is linux\/amd64, but the layer is for arm64 \(linux\/arm64\)/,
    )
  })

  test('a base without the build tools and without dnf', async () => {
    // bookworm without make: the installer finds it missing and has no dnf to get it.
    const context = path.join(root, 'no-make')
    await fs.mkdir(context)
    await fs.writeFile(
      path.join(context, 'Dockerfile'),
      `FROM ${images?.bookworm}\nRUN rm /usr/bin/make\n`,
    )
    const base = 'picolisp-lambda-action-test/no-make:latest'
    execFileSync('docker', ['build', '--quiet', '--tag', base, context], { stdio: 'ignore' })
    await expect(builder(base).prepare()).rejects.toThrow(
      /Building the Docker builder's image on picolisp-lambda-action-test\/no-make:latest failed[\s\S]*the base image lacks: make[\s\S]*Amazon Linux 2023[\s\S]*check input 'builder-image'/,
    )
  }, 300_000)
})
