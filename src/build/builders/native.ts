import type { Architecture } from '../../common/types.js'
import { buildEnvironment } from '../cache.js'
import { compilePicoLisp, interpreterVersion } from '../compile.js'
import { ensureBuildTools, type LlvmToolchain } from '../toolchain.js'
import type { Builder } from './builder.js'

/** Compiles on the runner itself, with its LLVM, for its own architecture. */
export class NativeBuilder implements Builder {
  readonly name = 'native'
  private llvm?: LlvmToolchain

  constructor(
    readonly architecture: Architecture,
    private readonly installDependencies: boolean,
  ) {}

  /** The runner's OS and glibc: what its compiler and headers build against. */
  async identity(): Promise<string[]> {
    const { osId, osVersion, libc } = buildEnvironment()
    return [`${osId}${osVersion}`, `glibc${libc}`]
  }

  async prepare(): Promise<void> {
    this.llvm = await ensureBuildTools(this.installDependencies)
  }

  buildsNativeCodec(): boolean {
    return true
  }

  async compile(sourceDir: string, scratch: string): Promise<void> {
    if (!this.llvm) throw new Error('NativeBuilder.compile called before prepare')
    await compilePicoLisp(sourceDir, this.llvm, scratch)
  }

  version(sourceDir: string): Promise<string> {
    return interpreterVersion(sourceDir)
  }
}
