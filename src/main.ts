import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { selectBuilder } from './build/builders/index.js'
import { obtainPicoLisp } from './build/obtain.js'
import { handleCancellation, removeOnCancel } from './common/cancel.js'
import { PhaseTimer, setBuildOutputs, writeBuildSummary } from './common/report.js'
import { neutralise } from './common/untrusted.js'
import { readBuildInputs, runnerArchitecture } from './inputs/build-inputs.js'
import { checkOutputWritable } from './inputs/output.js'
import { actionInput } from './inputs/read.js'
import { checkSmokeArchitecture, readSmokeInputs, smokeTestPhase } from './invoke/smoke.js'
import { assembleLayer } from './layer/assemble.js'
import { resolveExtraFiles } from './layer/extra-files.js'
import { fetchLibraries } from './layer/fetch-libraries.js'
import { maskAwsSecrets } from './publish/clients.js'
import { publishLayer, readPublishInputs } from './publish/index.js'

/** runtime/ ships with the action: find it beside the bundle, never in the user's workspace. */
export function runtimeDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'runtime')
}

/**
 * The action: read and check every input, fetch the bundled libraries, get a
 * compiled PicoLisp (cache or build), assemble the layer zip, report it, run
 * the smoke test through it when asked, and publish it when asked.
 */
export async function run(): Promise<void> {
  const tempDir = process.env.RUNNER_TEMP || os.tmpdir()
  let workDir: string | undefined
  maskAwsSecrets()
  handleCancellation()
  try {
    const inputs = readBuildInputs()
    const publishInputs = readPublishInputs()
    const smokeInputs = readSmokeInputs(actionInput, inputs.workspace)
    if (smokeInputs) checkSmokeArchitecture(inputs.architecture, runnerArchitecture())
    const builder = selectBuilder(inputs, runnerArchitecture())
    const extraFiles = await resolveExtraFiles(inputs.extraFiles, inputs.workspace, inputs.output)
    const sharedLibraries = await resolveExtraFiles(
      inputs.sharedLibraries,
      inputs.workspace,
      inputs.output,
      'shared-libraries',
    )
    await checkOutputWritable(inputs.output)
    workDir = await fs.mkdtemp(path.join(tempDir, 'picolisp-layer-'))
    removeOnCancel(workDir)
    const work = workDir

    const timer = new PhaseTimer()
    // The libraries first: a wrong digest there should fail in seconds, not after a compile.
    const libraries = await timer.time('Bundled libraries', () =>
      fetchLibraries(inputs.libraries, inputs.workspace, work),
    )
    const picolisp = await timer.time('PicoLisp (cache, download, compile)', () =>
      obtainPicoLisp(inputs, builder, tempDir, work, runtimeDir()),
    )
    const { layer, unzippedSize } = await timer.time('Layer zip', () =>
      assembleLayer(
        {
          buildDir: picolisp.dir,
          runtimeDir: runtimeDir(),
          libraries,
          extraFiles,
          sharedLibraries,
        },
        inputs.output,
        picolisp.version,
        inputs.architecture,
      ),
    )
    core.info(
      neutralise(
        `Layer ${layer.zipPath}: ${layer.size} bytes zipped, ${unzippedSize} unzipped, sha256 ${layer.sha256}`,
      ),
    )
    setBuildOutputs(layer, picolisp.cacheHit)
    await writeBuildSummary(layer, { cacheHit: picolisp.cacheHit, unzippedSize, timer })

    // After the summary: the build's phase table stays the build's. The smoke
    // test comes before publishing: a failure throws, so nothing is published.
    if (smokeInputs)
      await timer.time('Smoke test', () => smokeTestPhase(smokeInputs, layer.zipPath))
    if (publishInputs) await timer.time('Publish', () => publishLayer(publishInputs, layer))
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  } finally {
    if (workDir) await fs.rm(workDir, { recursive: true, force: true })
  }
}
