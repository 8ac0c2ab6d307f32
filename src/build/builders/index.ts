import type { Architecture } from '../../common/types.js'
import type { BuildInputs } from '../../inputs/build-inputs.js'
import { InputError } from '../../inputs/input-error.js'
import type { Builder } from './builder.js'
import { DockerBuilder } from './docker.js'
import { NativeBuilder } from './native.js'

export type { Builder } from './builder.js'

/**
 * The builder for the inputs on this runner, or an error naming what to
 * change. Checked before anything is downloaded.
 */
export function selectBuilder(inputs: BuildInputs, runnerArch: Architecture): Builder {
  if (inputs.builder === 'docker') {
    return new DockerBuilder({ architecture: inputs.architecture, baseImage: inputs.builderImage })
  }
  if (inputs.architecture !== runnerArch) {
    throw new InputError(
      'architecture',
      `asks for ${inputs.architecture}, but the native builder can only build for this ` +
        `${runnerArch} runner. Run the job on an ${inputs.architecture} runner.`,
    )
  }
  return new NativeBuilder(inputs.architecture, inputs.installDependencies)
}
