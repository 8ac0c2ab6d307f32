/** The newest PicoLisp release this action knows by name; the default `picolisp-version`. */
export const DEFAULT_VERSION = '26.9'

/**
 * sha256 (hex) of release tarballs whose checksum has been published and checked.
 * Add a line when a release's digest is confirmed; unknown releases still build,
 * with a warning that prints the digest to pin.
 */
export const KNOWN_SHA256: Readonly<Record<string, string>> = {
  '24.3': '141e370c08c7045831772b282f30572f18a2e766b6082875b2464ffd14f37dd7',
}

export function releaseUrl(version: string): string {
  return version === 'rolling'
    ? 'https://software-lab.de/pil21.tgz'
    : `https://software-lab.de/picoLisp-${version}.tgz`
}
