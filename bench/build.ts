// Wall time of the bundled action for a cold build and for a cached run, and
// the layer's zipped and unzipped size. Run: npm run build && npm run bench:build
// The Docker builder: npm run bench:build -- --builder docker [--builder-image <image>]
// (default base: the Debian bookworm image of scripts/docker-images.sh, as this machine
// can pull none); each cold run also rebuilds the builder image from its base.
// For another architecture than the machine's (the cross build; its cold runs
// fetch the sysroot too, as a fresh hosted runner does):
//   npm run bench:build -- --architecture arm64
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { prepareDebianImages } from '../__tests__/support/docker.js'
import { startTestSource } from '../__tests__/support/pil-source.js'
import { makeRunnerDirs, runAction } from '../__tests__/support/run-action.js'

const COLD_RUNS = 3
const CACHED_RUNS = 5

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now()
  const result = await work()
  return { ms: performance.now() - start, result }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** The value after `name` on the command line. */
function option(name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at < 0 ? undefined : process.argv[at + 1]
}

/** The inputs that choose the builder, from --builder and --builder-image. */
function builderInputs(): Record<string, string> {
  const builder = option('--builder') ?? 'native'
  if (builder !== 'docker') return { builder }
  let image = option('--builder-image')
  if (!image) {
    const prepared = prepareDebianImages()
    if ('skip' in prepared) throw new Error(prepared.skip)
    image = prepared.images.bookworm
  }
  return { builder, 'builder-image': image }
}

/** Removes the Docker builder's images, so the next run builds its image as a fresh runner does. */
function removeBuilderImages(): void {
  const tags = execFileSync(
    'docker',
    ['images', '--format', '{{.Repository}}:{{.Tag}}', 'picolisp-lambda-builder'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((tag) => tag !== '')
  if (tags.length > 0) execFileSync('docker', ['rmi', ...tags], { stdio: 'ignore' })
}

const builder = builderInputs()
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-build-'))
const source = await startTestSource(root)
const architecture = option('--architecture')
const inputs = { ...source.inputs, ...builder, ...(architecture ? { architecture } : {}) }
try {
  const cold: number[] = []
  let dirs = await makeRunnerDirs(path.join(root, 'cold-0'))
  for (let i = 0; i < COLD_RUNS; i++) {
    dirs = await makeRunnerDirs(path.join(root, `cold-${i}`))
    if (builder.builder === 'docker') removeBuilderImages()
    const { ms, result } = await timed(() => runAction(inputs, { dirs }))
    if (result.code !== 0 || result.outputs['cache-hit'] !== 'false') throw new Error(result.stdout)
    cold.push(ms)
  }
  const cached: number[] = []
  let zip = ''
  for (let i = 0; i < CACHED_RUNS; i++) {
    const { ms, result } = await timed(() => runAction(inputs, { dirs }))
    if (result.code !== 0 || result.outputs['cache-hit'] !== 'true') throw new Error(result.stdout)
    cached.push(ms)
    zip = result.outputs['layer-zip']
  }
  const zipped = (await fs.stat(zip)).size
  const listing = execFileSync('unzip', ['-l', zip], { encoding: 'utf8' }).trim().split('\n')
  const unzipped = Number(listing[listing.length - 1].trim().split(/\s+/)[0])
  const cpu = execFileSync('sh', ['-c', "lscpu | sed -n 's/^Model name: *//p'"], {
    encoding: 'utf8',
  }).trim()
  console.log(`machine: ${os.cpus().length} cores, ${cpu}, node ${process.version}`)
  console.log(
    `builder: ${builder.builder}${builder['builder-image'] ? ` on ${builder['builder-image']}` : ''}`,
  )
  console.log(`layer architecture: ${architecture ?? `the machine's (${process.arch})`}`)
  console.log('| run | runs | median | min | max |')
  console.log('|---|---|---|---|---|')
  for (const [name, values] of [
    ['cold build (download, verify, compile, zip)', cold],
    ['cached run (cache hit, zip)', cached],
  ] as const) {
    const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
    console.log(
      `| ${name} | ${values.length} | ${s(median(values))} | ${s(Math.min(...values))} | ${s(Math.max(...values))} |`,
    )
  }
  console.log(`cached/cold ratio (median): ${(median(cached) / median(cold)).toFixed(2)}`)
  console.log(
    `layer: ${(zipped / 1024).toFixed(1)} KiB zipped, ${(unzipped / 1024).toFixed(1)} KiB unzipped`,
  )
} finally {
  await source.server.close()
  await fs.rm(root, { recursive: true, force: true })
}
