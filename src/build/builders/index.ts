import * as core from '@actions/core'
import type { Architecture } from '../../common/types.js'
import type { BuildInputs } from '../../inputs/build-inputs.js'
import { InputError } from '../../inputs/input-error.js'
import type { Builder } from './builder.js'
import { CrossBuilder } from './cross.js'
import { DockerBuilder } from './docker.js'
import { NativeBuilder } from './native.js'

export type { Builder } from './builder.js'

/**
 * The builder for the inputs on this runner, or an error naming what to
 * change. Checked before anything is downloaded. Another architecture than
 * the runner's is cross-compiled (arm64 on x86_64, or the reverse).
 */
export function selectBuilder(inputs: BuildInputs, runnerArch: Architecture): Builder {
  const cross = inputs.builder === 'native' && inputs.architecture !== runnerArch
  // Like 'builder-image' for the others, it means nothing to them: a mistake
  if (inputs.sysrootSources && !cross) {
    throw new InputError(
      'sysroot-sources',
      `applies only to a cross build ('architecture' other than this ${runnerArch} runner's, ` +
        `with builder 'native'), but this is a${inputs.builder === 'docker' ? ' Docker' : ' native'} ` +
        `build for ${inputs.architecture}: remove it.`,
    )
  }
  if (inputs.builder === 'docker') {
    return new DockerBuilder({ architecture: inputs.architecture, baseImage: inputs.builderImage })
  }
  if (cross) {
    core.info(
      `Input 'architecture' is ${inputs.architecture} on this ${runnerArch} runner: cross-compiling ` +
        `(LLVM, lld and a sysroot of this runner's release for ${inputs.architecture}).`,
    )
    return new CrossBuilder(inputs.architecture, {
      installDependencies: inputs.installDependencies,
      sources: inputs.sysrootSources,
    })
  }
  return new NativeBuilder(inputs.architecture, inputs.installDependencies)
}
