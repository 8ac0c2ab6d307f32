import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  defaultSources,
  prepareSysroot,
  runnerDistribution,
  type Sysroot,
} from '../../src/build/sysroot.js'

/** Where scripts/picolisp-releases.sh keeps the releases (and sid's arm64 root). */
export const RELEASES = process.env.PIL_RELEASES ?? '/var/cache/picolisp-lambda-action/releases'

/** Sysroots kept between runs on one machine, as the action's tool cache keeps them. */
export const SYSROOTS = process.env.PIL_SYSROOTS ?? '/var/cache/picolisp-lambda-action/sysroots'

/**
 * This machine's release's arm64 sysroot, made by the action's own code: the
 * first run on a machine downloads about 13 MB from Debian's archive, later
 * ones read the package lists and reuse the folder.
 */
export async function arm64Sysroot(): Promise<Sysroot> {
  const scratch = await mkdtemp(join(tmpdir(), 'sysroot-apt-'))
  try {
    return await prepareSysroot({
      target: 'arm64',
      sources: defaultSources(runnerDistribution(), 'arm64'),
      cacheDir: SYSROOTS,
      scratch,
    })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
