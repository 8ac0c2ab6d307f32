import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pilBin, pilHome } from './picolisp.js'

const REPO_RUNTIME = resolve(dirname(fileURLToPath(import.meta.url)), '../../runtime')

/** A PicoLisp install for the layer: its interpreter and its home (lib.l, lib/). */
export interface PicoLispInstall {
  bin: string
  home: string
  /** A lambdajson.so built for it (support/native-json.ts), put into the layer's lib/. */
  nativeLib?: string
}

/**
 * Assembles a layer shaped like the real one in a temp dir: bootstrap, the
 * repo's runtime/ files, and a PicoLisp (by default the one picolisp.ts
 * selects) linked in. PicoLisp takes its home `@` from the path of its first
 * argument (picoLisp/lib.l), not from where a symlink points, so `@runtime/…`
 * resolves inside this layer.
 */
export async function buildRuntimeLayer(
  extraFiles: Record<string, string> = {},
  picoLisp: PicoLispInstall = { bin: pilBin, home: pilHome },
): Promise<string> {
  const layer = await mkdtemp(join(tmpdir(), 'pil-layer-'))
  const pico = join(layer, 'picoLisp')
  await mkdir(join(pico, 'bin'), { recursive: true })
  await mkdir(join(pico, 'runtime'))
  await symlink(picoLisp.bin, join(pico, 'bin', 'picolisp'))
  await symlink(join(picoLisp.home, 'lib.l'), join(pico, 'lib.l'))
  if (picoLisp.nativeLib) {
    linkLibFiles(join(pico, 'lib'), picoLisp.home)
    await symlink(picoLisp.nativeLib, join(pico, 'lib', 'lambdajson.so'))
  } else await symlink(join(picoLisp.home, 'lib'), join(pico, 'lib'))
  for (const name of await readdir(REPO_RUNTIME)) {
    // native/ is the JSON codec's source, built into lib/lambdajson.so, not shipped
    if (name === 'bootstrap' || name === 'README.md' || name === 'native') continue
    await copyFile(join(REPO_RUNTIME, name), join(pico, 'runtime', name))
  }
  await copyFile(join(REPO_RUNTIME, 'bootstrap'), join(layer, 'bootstrap'))
  await chmod(join(layer, 'bootstrap'), 0o755)
  // e.g. stand-ins for aw's libraries at picoLisp/json/json.l
  for (const [path, source] of Object.entries(extraFiles)) {
    await mkdir(dirname(join(layer, path)), { recursive: true })
    await writeFile(join(layer, path), source)
  }
  return layer
}

/**
 * Makes `lib` a folder of links to the files of the home's lib/, where a
 * library can be added without writing into the home.
 */
export function linkLibFiles(lib: string, home: string): void {
  rmSync(lib, { force: true })
  mkdirSync(lib)
  for (const name of readdirSync(join(home, 'lib')))
    symlinkSync(join(home, 'lib', name), join(lib, name))
}

/**
 * What of its native library the layer's runtime takes: the codec, the HTTP
 * helpers (a library of before them has none). runtime/json-native.l falls
 * back on the Lisp code without a word when the library is missing or fails
 * its checks, so a test or bench of the library asks.
 */
export function nativeParts(layer: string): { codec: boolean; http: boolean } {
  const pico = join(layer, 'picoLisp')
  const out = execFileSync(
    join(pico, 'bin', 'picolisp'),
    [
      join(pico, 'lib.l'),
      ...['json.l', 'json-fast.l', 'json-native.l'].map((f) => join(pico, 'runtime', f)),
      '-prinl (and *LambdaJsonNativeDecode "codec") " " (and *LambdaHttpNativeHead "http")',
      '-bye',
    ],
    { encoding: 'utf8' },
  )
  return { codec: out.includes('codec'), http: out.includes('http') }
}

/** Whether the layer's runtime takes all of its native library. */
export function nativeIn(layer: string): boolean {
  const parts = nativeParts(layer)
  return parts.codec && parts.http
}
