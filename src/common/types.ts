/** CPU architectures a Lambda layer can be built for, named as Lambda names them. */
export type Architecture = 'x86_64' | 'arm64'

/** What the build phase hands to the publish phase. */
export interface BuiltLayer {
  /** Absolute path of the finished zip. */
  zipPath: string
  /** Hex sha256 of the zip. */
  sha256: string
  /** Base64 sha256 of the zip, as Lambda reports `CodeSha256`. */
  codeSha256: string
  /** Size of the zip in bytes. */
  size: number
  /** What the built interpreter's `(version)` prints, e.g. `26.9.25`. */
  picolispVersion: string
  /** Read from the ELF header of the interpreter inside the layer, never guessed. */
  architecture: Architecture
}
