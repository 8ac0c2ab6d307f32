import { readFileSync } from 'node:fs'

/**
 * A field of /etc/os-release (`ID`, `VERSION_ID`, `VERSION_CODENAME`…), '' when
 * the file or the field is missing (not Linux-like: callers say what they need).
 */
export function osReleaseField(name: string, osRelease = '/etc/os-release'): string {
  let text = ''
  try {
    text = readFileSync(osRelease, 'utf8')
  } catch {
    return ''
  }
  return new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? ''
}
