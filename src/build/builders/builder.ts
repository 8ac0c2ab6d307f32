import type { Architecture } from '../../common/types.js'

/**
 * One way of compiling an extracted pil21 tree: on the runner itself, in a
 * container, or for another architecture. The rest of the build (cache,
 * download, layer) is the same for all; a new way is a new file in this
 * folder and one line in `selectBuilder` (index.ts).
 */
export interface Builder {
  /** The value of input 'builder' that chooses it, e.g. 'native'. */
  readonly name: string
  /** The architecture of the binaries it makes. */
  readonly architecture: Architecture
  /**
   * What besides the source and the recipe changes the binaries, as short
   * readable parts of the cache key (the OS and libc built on, an image digest).
   */
  identity(): Promise<string[]>
  /** Gets the tools ready (installs or checks them); throws an error naming the remedy. */
  prepare(): Promise<void>
  /** Runs pil21's `make` in `sourceDir`; `scratch` is an empty folder of its own. */
  compile(sourceDir: string, scratch: string): Promise<void>
  /** Whether compile() makes the native JSON codec too (build/native-codec.ts). */
  buildsNativeCodec(): boolean
  /** What `(version)` of the interpreter built in `sourceDir` prints, e.g. `26.9.25`. */
  version(sourceDir: string): Promise<string>
}
