import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { checkArchitecture, elfMachine } from '../../src/common/elf.js'
import { assembleLayer } from '../../src/layer/assemble.js'

// Every ELF file that goes into a layer must match its architecture: real
// binaries of this x86_64 machine (Debian 12's PicoLisp) and of sid's arm64
// PicoLisp (the root scripts/picolisp-releases.sh unpacks).

const RELEASES = process.env.PIL_RELEASES ?? '/var/cache/picolisp-lambda-action/releases'
const ARM64 = join(RELEASES, 'arm64', 'root', 'usr')
const X86 = { bin: '/usr/bin/picolisp', ext: '/usr/lib/picolisp/lib/ext.so' }
const A64 = {
  bin: join(ARM64, 'bin', 'picolisp'),
  ext: join(ARM64, 'lib', 'picolisp', 'lib', 'ext.so'),
  ht: join(ARM64, 'lib', 'picolisp', 'lib', 'ht.so'),
}
const RUNTIME = join(import.meta.dirname, '..', '..', 'runtime')

const cleanup: string[] = []
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true })
})

// CI always has both: a missing one fails the file rather than skipping it
beforeAll(() => {
  for (const file of [...Object.values(X86), ...Object.values(A64)]) {
    if (!existsSync(file)) {
      throw new Error(
        `${file} is missing: install Debian's picolisp and run scripts/picolisp-releases.sh ` +
          '(or set PIL_RELEASES to where it put the releases)',
      )
    }
  }
})

/** A compiled tree as the cache keeps it, made of the given interpreter and ext.so. */
async function buildDir(bin: string, ext: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'arch-build-'))
  cleanup.push(dir)
  await mkdir(join(dir, 'bin'))
  await mkdir(join(dir, 'lib'))
  await copyFile(bin, join(dir, 'bin', 'picolisp'))
  await copyFile(ext, join(dir, 'lib', 'ext.so'))
  await writeFile(join(dir, 'lib.l'), '# lib.l\n')
  return dir
}

describe('ELF architecture of the layer', () => {
  it('reads e_machine from real binaries of both architectures', async () => {
    expect(await elfMachine(X86.bin)).toBe(62)
    expect(await elfMachine(X86.ext)).toBe(62)
    expect(await elfMachine(A64.bin)).toBe(183)
    expect(await elfMachine(A64.ht)).toBe(183)
    expect(await elfMachine(join(RUNTIME, 'bootstrap'))).toBeUndefined()
  })

  it('passes files that all match, and ignores files that are not ELF', async () => {
    const lisp = { name: 'picoLisp/lib.l', source: '/usr/lib/picolisp/lib.l' }
    await checkArchitecture(
      [{ name: 'picoLisp/bin/picolisp', source: A64.bin }, { name: 'x.so', source: A64.ext }, lisp],
      'arm64',
    )
    await checkArchitecture([{ name: 'picoLisp/bin/picolisp', source: X86.bin }, lisp], 'x86_64')
  })

  it('names every file built for another architecture, and what it is built for', async () => {
    const check = checkArchitecture(
      [
        { name: 'picoLisp/bin/picolisp', source: A64.bin },
        { name: 'picoLisp/native/libx.so', source: X86.ext },
        { name: 'picoLisp/lib/ht.so', source: A64.ht },
        { name: 'picoLisp/tool', source: X86.bin },
      ],
      'arm64',
    )
    await expect(check).rejects.toThrow(
      "The layer is for arm64 (input 'architecture'), but:\n" +
        '- picoLisp/native/libx.so is built for x86_64\n' +
        '- picoLisp/tool is built for x86_64\n',
    )
  })

  it('fails an arm64 layer with an x86_64 .so among extra-files, writing no zip', async () => {
    const dir = await buildDir(A64.bin, A64.ext)
    const output = join(dir, 'layer.zip')
    const assembling = assembleLayer(
      {
        buildDir: dir,
        runtimeDir: RUNTIME,
        libraries: [],
        extraFiles: [{ relative: join('native', 'libfast.so'), path: X86.ext }],
        sharedLibraries: [],
      },
      output,
      '26.9.25',
      'arm64',
    )
    await expect(assembling).rejects.toThrow(/picoLisp\/native\/libfast\.so is built for x86_64/)
    expect(await stat(output).catch(() => undefined)).toBeUndefined()
  })

  it('fails an arm64 layer with an x86_64 library among shared-libraries, naming it', async () => {
    const dir = await buildDir(A64.bin, A64.ext)
    const assembling = assembleLayer(
      {
        buildDir: dir,
        runtimeDir: RUNTIME,
        libraries: [],
        extraFiles: [],
        sharedLibraries: [{ relative: join('vendor', 'libfast.so.1'), path: X86.ext }],
      },
      join(dir, 'layer.zip'),
      '26.9.25',
      'arm64',
    )
    await expect(assembling).rejects.toThrow(
      /- lib\/libfast\.so\.1 is built for x86_64\n.*leave them out of 'extra-files' and 'shared-libraries'/,
    )
  })

  it("fails when the interpreter itself does not match input 'architecture'", async () => {
    const dir = await buildDir(X86.bin, X86.ext)
    const assembling = assembleLayer(
      { buildDir: dir, runtimeDir: RUNTIME, libraries: [], extraFiles: [], sharedLibraries: [] },
      join(dir, 'layer.zip'),
      '23.2.8',
      'arm64',
    )
    const message = await assembling.then(
      () => '',
      (error: Error) => error.message,
    )
    expect(message).toContain('- picoLisp/bin/picolisp is built for x86_64\n')
    expect(message).toContain('- picoLisp/lib/ext.so is built for x86_64\n')
  })
})
