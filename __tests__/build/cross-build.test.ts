import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { cp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CrossBuilder } from '../../src/build/builders/cross.js'
import { collectBuild } from '../../src/build/collect.js'
import { addNativeCodec } from '../../src/build/native-codec.js'
import { elfMachine } from '../../src/common/elf.js'
import type { InvokeOutcome } from '../../src/invoke/runtime-api-emulator.js'
import { assembleLayer } from '../../src/layer/assemble.js'
import { arm64Sysroot, SYSROOTS } from '../support/cross.js'
import { pilSource } from '../support/picolisp.js'
import { OPS_HANDLER } from '../support/runtime-handlers.js'
import { useRuntimeLayer } from '../support/runtime-process.js'

// An arm64 PicoLisp built on this x86_64 machine by the cross builder, from
// the selected pil21 tree (Debian 12's 23.2, or PIL_HOME's release): every
// ELF file is aarch64, the interpreter runs under qemu-aarch64 (called
// explicitly: there is no binfmt here) and reports the tree's version, the
// layer passes the architecture and provided.al2023 checks, and the runtime
// serves invocations on it against the emulator.

const QEMU = 'qemu-aarch64-static'
// qemu translates every instruction, and the build shares 2 cores with others
const SLOW = 300_000
const EM_AARCH64 = 183

const source = pilSource()
const work = mkdtempSync(join(tmpdir(), 'cross-build-'))
const tree = join(work, 'pil21')
let sysroot = ''

/** Files Debian built from its tree: removed so the cross build makes them. */
const GENERATED = ['lib/ext.so', 'lib/ht.so', 'lib/sysdefs'].concat(
  ['picolisp', 'balance', 'ssl', 'httpGate'].map((name) => `bin/${name}`),
)
const builder = new CrossBuilder('arm64', {
  installDependencies: false,
  sysrootCache: SYSROOTS,
  scratch: join(work, 'apt'),
})
let identity: string[] = []

/** The sysroot the build used: the one complete folder of this release's packages. */
async function sysrootDir(): Promise<string> {
  return (await arm64Sysroot()).dir
}
let version = ''

beforeAll(async () => {
  // file times kept, so make trusts the shipped .ll files as in a release tarball
  await cp(source.tree, tree, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })
  await rm(join(tree, 'doc'), { force: true, recursive: true })
  for (const file of GENERATED) await rm(join(tree, file), { force: true })
  // as the action does: the runtime's native JSON codec joins the tree
  await addNativeCodec(tree, join(import.meta.dirname, '..', '..', 'runtime'))
  identity = await builder.identity()
  await builder.prepare()
  sysroot = await sysrootDir()
  await builder.compile(tree, join(work, 'scratch'))
  version = await builder.version(tree)
}, 900_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

// The tree's own home: bin/picolisp, lib.l and lib/ as the layer ships them
const runtime = useRuntimeLayer({
  picoLisp: { bin: join(tree, 'bin', 'picolisp'), home: tree },
  prefix: [QEMU, '-L', join(work, 'sysroot-link')],
})

function json(o: InvokeOutcome): unknown {
  if (o.kind !== 'response') throw new Error(`expected a response, got ${o.kind}: ${o.body}`)
  return JSON.parse(o.body.toString('utf8'))
}

describe('an arm64 PicoLisp cross-built on x86_64', () => {
  it('has a cache identity of the triple, the release of the sysroot and the LLVM', () => {
    const [triple, release, llvm] = identity
    expect(triple).toBe('aarch64-linux-gnu')
    expect(release).toMatch(/^sysroot-debian\d+$/)
    expect(llvm).toMatch(/^llvm\d+$/)
    expect(identity).toHaveLength(3)
  })

  it('is aarch64 in every ELF file: the interpreter and each shared object', async () => {
    const elf: string[] = []
    for (const dir of ['bin', 'lib']) {
      for (const name of await readdir(join(tree, dir))) {
        const machine = await elfMachine(join(tree, dir, name)).catch(() => undefined)
        if (machine === undefined) continue
        elf.push(name)
        expect([name, machine]).toEqual([name, EM_AARCH64])
      }
    }
    // lambdajson.so: its IR made by the new interpreter under qemu-user, then compiled for aarch64
    expect(elf).toEqual(expect.arrayContaining(['picolisp', 'ext.so', 'ht.so', 'lambdajson.so']))
  })

  it('runs under qemu-aarch64 and reports the version of its source tree', () => {
    expect(version).toBe(source.version)
    const printed = execFileSync(
      QEMU,
      ['-L', sysroot, join(tree, 'bin', 'picolisp'), join(tree, 'lib.l')].concat(
        '-prinl (glue "." (version T)) " " *CPU " " (ext:Base64 65)',
        '-bye',
      ),
      { encoding: 'utf8' },
    )
    expect(printed).toBe(`${source.version} aarch64 QQ==\n`)
  })

  it("makes an arm64 layer that passes the architecture and provided.al2023's glibc checks", async () => {
    const build = join(work, 'layer-build')
    await collectBuild(tree, build)
    const { layer } = await assembleLayer(
      {
        buildDir: build,
        runtimeDir: join(import.meta.dirname, '..', '..', 'runtime'),
        libraries: [],
        extraFiles: [],
        sharedLibraries: [],
      },
      join(work, 'layer.zip'),
      version,
      'arm64',
    )
    expect(layer.architecture).toBe('arm64')
    const listing = execFileSync('unzip', ['-l', layer.zipPath], { encoding: 'utf8' })
    expect(listing).toMatch(/picoLisp\/lib\/sysdefs$/m)
  })

  it(
    'serves invocations through the runtime against the emulator',
    async () => {
      // qemu's -L root: a fixed name, since the sysroot's is known only after the build
      await rm(join(work, 'sysroot-link'), { force: true })
      execFileSync('ln', ['-s', sysroot, join(work, 'sysroot-link')])
      const { emulator } = await runtime.start({ 'ops.l': OPS_HANDLER }, 'ops.main')
      const value = { s: 'é日😀 "q"', n: -1234567890123, a: [true, null, 1.5] }
      expect(json(await emulator.invoke({ op: 'echo', value }))).toEqual(value)
      expect(json(await emulator.invoke({ op: 'count' }))).toBe(1)
      expect(json(await emulator.invoke({ op: 'count' }))).toBe(2)
      const big = { s: 'x'.repeat(100_000) }
      expect(json(await emulator.invoke({ op: 'echo', value: big }))).toEqual(big)
      // all of it through the native JSON codec, built for aarch64
      expect(json(await emulator.invoke({ op: 'codec' }))).toEqual({ codec: 'native' })
    },
    SLOW,
  )
})
