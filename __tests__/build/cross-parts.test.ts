import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CrossBuilder } from '../../src/build/builders/cross.js'
import { crossMake, retarget, targetSysdefs } from '../../src/build/cross-toolchain.js'
import { llcWrapper, prepareGlibcBinding } from '../../src/build/glibc-binding.js'
import {
  debFiles,
  defaultSources,
  gccDevPackage,
  sharedLibraryDepends,
} from '../../src/build/sysroot.js'
import { which } from '../../src/build/toolchain.js'
import { arm64Sysroot, RELEASES } from '../support/cross.js'

// The pieces of the cross build: what is read from apt's answers, the make
// arguments, and lib/sysdefs for arm64 made without running arm64 code.

const cleanup: string[] = []
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe("reading apt's answers", () => {
  it("names libgcc's dev package after the release's GCC", () => {
    expect(gccDevPackage('Package: libgcc-s1\nSource: gcc-12\nVersion: 12.2.0-14\n')).toBe(
      'libgcc-12-dev',
    )
    expect(gccDevPackage('Package: libgcc-s1\nSource: gcc-14 (14.2.0-4ubuntu2~24.04)\n')).toBe(
      'libgcc-14-dev',
    )
    expect(() => gccDevPackage('Package: libgcc-s1\n')).toThrow(/Cannot tell the GCC release/)
  })

  it('keeps the shared library packages of the direct Depends, renamed ones too', () => {
    const depends = [
      'libc6-dev',
      '  Depends: libc6',
      '  Depends: libc-dev-bin',
      '  Depends: libcrypt-dev',
      'libreadline-dev',
      '  Depends: libreadline8t64',
      ' |Depends: dpkg',
      '  Depends: install-info',
      'libncurses-dev',
      '  Depends: <libc-dev>',
      '    libc6-dev',
      '  Depends: libtinfo6:arm64',
      'libssl-dev',
      '  Depends: libssl3t64',
    ].join('\n')
    expect(sharedLibraryDepends(depends)).toEqual([
      'libc6',
      'libreadline8t64',
      'libssl3t64',
      'libtinfo6',
    ])
  })

  it('reads the .deb names of apt-get download --print-uris', () => {
    const uris =
      "'http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb' " +
      'libc6_2.36-9+deb12u14_arm64.deb 2324660 SHA256:01f4\n' +
      "'http://deb.debian.org/debian/pool/main/libf/libffi/libffi8_3.4.4-1_arm64.deb' " +
      'libffi8_3.4.4-1_arm64.deb 20492 SHA256:80b5\n'
    expect(debFiles(uris)).toEqual(['libc6_2.36-9+deb12u14_arm64.deb', 'libffi8_3.4.4-1_arm64.deb'])
  })

  it("takes the runner's own release, arm64 from Ubuntu's ports archive", () => {
    const ubuntu = defaultSources({ id: 'ubuntu', codename: 'noble' }, 'arm64')
    expect(ubuntu[0]).toMatch(
      /^deb \[arch=arm64 .*\] http:\/\/ports\.ubuntu\.com\/ubuntu-ports noble main$/,
    )
    expect(ubuntu).toHaveLength(3)
    const amd64 = defaultSources({ id: 'ubuntu', codename: 'noble' }, 'x86_64')
    expect(amd64[0]).toMatch(/\] http:\/\/archive\.ubuntu\.com\/ubuntu noble main$/)
    const debian = defaultSources({ id: 'debian', codename: 'bookworm' }, 'arm64')
    expect(debian[2]).toMatch(/debian-security bookworm-security main$/)
    expect(() => defaultSources({ id: 'fedora', codename: '' }, 'arm64')).toThrow(
      /needs a Debian or Ubuntu runner \(this one is 'fedora'\)/,
    )
  })
})

describe('make for another target', () => {
  it('gives clang the target and sysroot, llc the triple, and pkg-config the sysroot', () => {
    const cross = crossMake('arm64', '/s', '/usr/bin/llvm-strip')
    expect(cross.clangArgs).toEqual(['--target=aarch64-linux-gnu', '--sysroot=/s', '-fuse-ld=lld'])
    expect(cross.llcArgs).toEqual(['-mtriple=aarch64-linux-gnu'])
    expect(cross.makeArgs).toEqual([
      'CPU=aarch64',
      "STRIP='/usr/bin/llvm-strip'",
      '-o',
      '../lib/sysdefs',
    ])
    expect(cross.env.PKG_CONFIG_LIBDIR).toBe(
      '/s/usr/lib/aarch64-linux-gnu/pkgconfig:/s/usr/share/pkgconfig',
    )
  })

  it("puts llc's triple in the glibc-binding wrapper", () => {
    const script = llcWrapper('/usr/bin/llc', '/b/symver.s', ['-mtriple=aarch64-linux-gnu'])
    expect(script).toContain(`'/usr/bin/llc' '-mtriple=aarch64-linux-gnu' "$@"\n`)
  })

  it('removes the target from IR: triple, data layout, CPU and features', () => {
    const ir = [
      'target datalayout = "e-m:e-i8:8:32"',
      'target triple = "aarch64-unknown-linux-gnu"',
      'define i32 @main() #0 {',
      'attributes #0 = { nounwind "target-cpu"="generic" "target-features"="+neon,+v8a" }',
      '',
    ].join('\n')
    expect(retarget(ir)).toBe('define i32 @main() #0 {\nattributes #0 = { nounwind }\n')
  })
})

describe('the glibc binding of a cross build', () => {
  it("reads the sysroot's libc: aarch64's versions, not this machine's", async () => {
    const sysroot = await arm64Sysroot()
    const dir = await mkdtemp(join(tmpdir(), 'cross-binding-'))
    cleanup.push(dir)
    const cross = crossMake('arm64', sysroot.dir, 'llvm-strip')
    const env = process.env as Record<string, string>
    const wrapper = await prepareGlibcBinding(
      { clang: 'clang', llc: 'llc' },
      dir,
      env,
      '2.34',
      cross,
    )
    expect(wrapper).toBe(join(dir, 'llc'))
    const directives = readFileSync(join(dir, 'glibc-symver.s'), 'utf8')
    // glibc 2.36's hypot@@GLIBC_2.35 keeps hypot@GLIBC_2.17, aarch64's first glibc
    expect(directives).toContain('\t.symver hypot, hypot@GLIBC_2.17\n')
    // x86_64's oldest version: would mean the machine's own libc was read
    expect(directives).not.toContain('GLIBC_2.2.5')
    expect(readFileSync(wrapper as string, 'utf8')).toContain(
      `'llc' '-mtriple=aarch64-linux-gnu' "$@"`,
    )
  })
})

describe('lib/sysdefs for arm64', () => {
  it("equals the one Debian's arm64 package of the same release ran on arm64", async () => {
    const sysroot = await arm64Sysroot()
    const tree = join(RELEASES, '26.9', 'src')
    const debian = join(RELEASES, 'arm64', 'root', 'usr', 'lib', 'picolisp', 'lib', 'sysdefs')
    for (const file of [tree, debian]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run scripts/picolisp-releases.sh`)
    }
    const work = await mkdtemp(join(tmpdir(), 'sysdefs-'))
    cleanup.push(work)
    execFileSync('cp', ['-a', tree, join(work, 'tree')])
    const cross = crossMake('arm64', sysroot.dir, 'llvm-strip')
    await targetSysdefs(join(work, 'tree'), 'clang', cross, 'arm64', join(work, 'scratch'))
    const ours = readFileSync(join(work, 'tree', 'lib', 'sysdefs'), 'utf8')
    // the comment lines name the compiler, which differs
    const values = (text: string) => text.replace(/^#.*\n/gm, '')
    expect(ours).toMatch(/^# aarch64$/m)
    expect(values(ours)).toBe(values(readFileSync(debian, 'utf8')))
    expect(values(ours)).toMatch(/^\[domainSock\]\nAF_UNIX\t1$/m)
  })
})

describe('the cross builder without its tools', () => {
  const path = process.env.PATH
  afterEach(() => {
    process.env.PATH = path
  })

  const found = (command: string): string => {
    const file = which(command, path)
    if (!file) throw new Error(`${command} is not on this machine's PATH`)
    return file
  }

  /** A PATH of links to the given commands only. */
  async function pathWith(commands: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cross-path-'))
    cleanup.push(dir)
    for (const command of commands) {
      await symlink(found(command), join(dir, command))
    }
    return dir
  }

  /** A built tree: its interpreter (a real ELF file) and the tree's src/vers.l. */
  async function builtTree(interpreter: string): Promise<string> {
    const tree = await mkdtemp(join(tmpdir(), 'cross-tree-'))
    cleanup.push(tree)
    await mkdir(join(tree, 'bin'))
    await mkdir(join(tree, 'src'))
    await copyFile(interpreter, join(tree, 'bin', 'picolisp'))
    await copyFile(join(RELEASES, '26.9', 'src', 'src', 'vers.l'), join(tree, 'src', 'vers.l'))
    return tree
  }

  const builder = () => new CrossBuilder('arm64', { installDependencies: false, sources: [] })

  it('names the missing packages and the command when it may not install them', async () => {
    const llvm = ['clang', 'opt', 'llc', 'llvm-link']
    process.env.PATH = await pathWith([...llvm, 'make', 'pkg-config', 'readelf'])
    await expect(builder().prepare()).rejects.toThrow(
      "The cross build for arm64 needs lld: install them with: sudo apt-get install -y lld (or set input 'install-dependencies' to true).",
    )
    process.env.PATH = await pathWith(['make'])
    await expect(builder().prepare()).rejects.toThrow(
      /needs pkg-config, binutils, clang, llvm, lld:/,
    )
  })

  it('keys the cache by the sources when they are not the default ones', async () => {
    const sources = ['deb http://mirror.example/debian bookworm main']
    const custom = new CrossBuilder('arm64', { installDependencies: false, sources })
    const [triple, release, llvm, digest] = await custom.identity()
    expect([triple, release, llvm]).toEqual((await builder().identity()).slice(0, 3))
    expect(digest).toMatch(/^sources-[0-9a-f]{12}$/)
  })

  it('without qemu, checks the ELF header and takes the version src/vers.l declares', async () => {
    process.env.PATH = await pathWith([])
    const arm64 = join(RELEASES, 'arm64', 'root', 'usr', 'bin', 'picolisp')
    expect(await builder().version(await builtTree(arm64))).toBe('26.9.25')
    const x86 = await builtTree('/usr/bin/picolisp')
    await expect(builder().version(x86)).rejects.toThrow(
      `The cross build made ${join(x86, 'bin', 'picolisp')} for x86_64, not arm64.`,
    )
  })
})
