// What AWS Lambda allows and what provided.al2023 provides, in one place: every
// check of a layer, a layer's metadata or an event reads its limit here.

/**
 * A layer zip uploaded inline in PublishLayerVersion, at most; bigger ones must
 * come from S3 (AWS quotas: "50 MB (zipped, when uploading directly)").
 */
export const DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024

/** PublishLayerVersion's LayerName: a plain name (ARNs are not accepted here). */
export const LAYER_NAME = /^[A-Za-z0-9_-]{1,140}$/

/** PublishLayerVersion's Description, in characters. */
export const DESCRIPTION_MAX = 256

/** PublishLayerVersion's LicenseInfo, in characters. */
export const LICENSE_INFO_MAX = 512

/** PublishLayerVersion's CompatibleRuntimes, entries. */
export const COMPATIBLE_RUNTIMES_MAX = 15

/**
 * An invocation's event or response, in bytes: 6 MB, and the Runtime API lets
 * 100 bytes more through before it answers 413 (RIE's MaxPayloadSize).
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100

/** provided.al2023 ships glibc 2.34: a newer symbol version fails to load there. */
export const MAX_GLIBC = '2.34'

/** glibc's libraries that a pil21 build links. */
export const GLIBC_LIBRARIES: readonly string[] = [
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'libutil.so.1',
]

/** Shared libraries in the provided.al2023 base image (glibc's own and the documented extras). */
export const AL2023_LIBRARIES: ReadonlySet<string> = new Set([
  ...GLIBC_LIBRARIES,
  'libresolv.so.2',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'libgcc_s.so.1',
  'libffi.so.8',
  'libreadline.so.8',
  'libhistory.so.8',
  'libtinfo.so.6',
  'libncursesw.so.6',
  'libssl.so.3',
  'libcrypto.so.3',
  'libcurl.so.4',
  'libz.so.1',
])
