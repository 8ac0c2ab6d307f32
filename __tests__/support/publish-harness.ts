import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import type { BuiltLayer } from '../../src/common/types.js'
import { publishLayer } from '../../src/publish/index.js'
import { type PublishInputs, parsePublishInputs } from '../../src/publish/inputs.js'
import {
  AWS_ENV_TO_CLEAR,
  fakeAwsEnv,
  type LambdaApi,
  startLambdaApi,
} from './lambda-api-server.js'
import { makeLayerZip } from './publish-fixtures.js'
import { parseOutputFile } from './run-action.js'
import { type S3Api, startS3Api } from './s3-api-server.js'

/**
 * For a test file: publishLayer in-process against a fresh fake Lambda and S3
 * per test, through the real SDK over HTTP, with the runner's output and
 * summary files in a temp dir.
 */
export function usePublishHarness() {
  const savedEnv = { ...process.env }
  const h = {
    dir: '',
    outputFile: '',
    summaryFile: '',
    api: undefined as unknown as LambdaApi,
    s3: undefined as unknown as S3Api,
    layer: undefined as unknown as BuiltLayer,
  }
  beforeAll(async () => {
    h.dir = await mkdtemp(join(tmpdir(), 'publish-layer-'))
    h.outputFile = join(h.dir, 'output')
    h.summaryFile = join(h.dir, 'summary')
    for (const name of AWS_ENV_TO_CLEAR) delete process.env[name]
    process.env.GITHUB_OUTPUT = h.outputFile
    process.env.GITHUB_STEP_SUMMARY = h.summaryFile
    h.layer = await makeLayerZip(join(h.dir, 'layer.zip'), { bootstrap: '#!/bin/sh\nexec pil\n' })
  })
  beforeEach(async () => {
    h.s3 = await startS3Api({ 'layers-us-east-1': 'us-east-1' })
    h.api = await startLambdaApi({ s3Object: h.s3.object, pageSize: 2 })
    Object.assign(process.env, fakeAwsEnv(h.api.url, h.s3.url))
  })
  afterEach(async () => {
    await h.api.close()
    await h.s3.close()
  })
  afterAll(async () => {
    process.env = savedEnv
    await rm(h.dir, { recursive: true, force: true })
  })
  return h
}

export function publishInputs(values: Record<string, string>): PublishInputs {
  const parsed = parsePublishInputs((name) => values[name] ?? '', {})
  if (!parsed) throw new Error('the publish phase was not requested')
  return parsed
}

/** Runs publishLayer; -> its error (if any), the outputs and the summary it wrote. */
export async function publishWith(
  h: ReturnType<typeof usePublishHarness>,
  given: PublishInputs,
  built = h.layer,
) {
  await writeFile(h.outputFile, '')
  await writeFile(h.summaryFile, '')
  let error: Error | undefined
  try {
    await publishLayer(given, built)
  } catch (e) {
    error = e as Error
  }
  return {
    error,
    outputs: parseOutputFile(await readFile(h.outputFile, 'utf8')),
    summary: await readFile(h.summaryFile, 'utf8'),
  }
}

const MUTATING = ['PublishLayerVersion', 'DeleteLayerVersion', 'AddLayerVersionPermission']

/** The requests so far that change something. */
export const mutationsOf = (api: LambdaApi) =>
  api.requests.filter((r) => MUTATING.includes(r.operation))
