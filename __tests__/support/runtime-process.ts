import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { type Framing, RuntimeApiEmulator } from '../../src/invoke/runtime-api-emulator.js'
import { buildNativeCodec } from './native-json.js'
import { pilBin, pilHome } from './picolisp.js'
import { buildRuntimeLayer, nativeIn, type PicoLispInstall } from './runtime-layer.js'

/** Handler files to write into a fresh LAMBDA_TASK_ROOT: relative path -> source. */
export type HandlerFiles = Record<string, string>

export interface RunningRuntime {
  emulator: RuntimeApiEmulator
  child: ChildProcess
  taskRoot: string
  /** Everything the process wrote to stdout so far. */
  stdout: () => string
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>
  stop: () => Promise<void>
}

/** How a test starts the layer, where its bootstrap alone cannot run it. */
export interface RuntimeLaunch {
  /** The PicoLisp the layer links in; Debian's by default. */
  picoLisp?: PicoLispInstall
  /**
   * Runs bootstrap's command line behind this command instead of bootstrap,
   * e.g. ['qemu-aarch64-static', '-L', root] for an arm64 interpreter on a
   * machine without binfmt, where bootstrap's exec of it would fail.
   */
  prefix?: string[]
  /** Puts the native library (support/native-json.ts) into the layer, as the action does. */
  native?: boolean
}

export async function makeTaskRoot(files: HandlerFiles): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pil-task-'))
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), source)
  }
  return root
}

/**
 * Starts an emulator and the layer's bootstrap against it, as Lambda would;
 * framing 'lambda' sends events over 2048 bytes chunked, as Lambda does.
 */
export async function startRuntime(
  layer: string,
  files: HandlerFiles,
  handler: string | undefined,
  env: Record<string, string> = {},
  host: '127.0.0.1' | '::1' = '127.0.0.1',
  framing: Framing = 'lambda',
  launch: RuntimeLaunch = {},
): Promise<RunningRuntime> {
  const emulator = await new RuntimeApiEmulator({ framing }).start(host)
  const taskRoot = await makeTaskRoot(files)
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: taskRoot,
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_LAMBDA_RUNTIME_API: emulator.address,
    AWS_LAMBDA_FUNCTION_NAME: 'test-function',
    ...env,
  }
  if (handler !== undefined) childEnv._HANDLER = handler
  const [command, ...args] = launchCommand(layer, launch.prefix)
  const child = spawn(command, args, {
    cwd: taskRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  emulator.attach(child)
  let out = ''
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return {
    emulator,
    child,
    taskRoot,
    stdout: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
      await emulator.stop()
    },
  }
}

/**
 * The layer's bootstrap, or behind a prefix the command line bootstrap execs
 * (stdin from /dev/null and the environment are spawn's either way).
 */
function launchCommand(layer: string, prefix: string[] = []): string[] {
  if (prefix.length === 0) return [join(layer, 'bootstrap')]
  const pico = join(layer, 'picoLisp')
  return [
    ...prefix,
    join(pico, 'bin', 'picolisp'),
    join(pico, 'lib.l'),
    join(pico, 'runtime', 'main.l'),
  ]
}

/**
 * For a test file: builds one layer before its tests, and stops and removes
 * the runtime each test started with `start`.
 */
export function useRuntimeLayer(launch: RuntimeLaunch = {}) {
  let layer = ''
  let current: RunningRuntime | undefined
  beforeAll(async () => {
    const picoLisp = launch.native
      ? {
          bin: pilBin,
          home: pilHome,
          ...launch.picoLisp,
          nativeLib: (await buildNativeCodec()).lib,
        }
      : launch.picoLisp
    layer = await buildRuntimeLayer({}, picoLisp)
    if (launch.native && !nativeIn(layer))
      throw new Error(`${layer}: the runtime did not take the native library`)
  }, 300_000)
  afterAll(async () => {
    await rm(layer, { recursive: true, force: true })
  })
  afterEach(async () => {
    if (!current) return
    await current.stop()
    await rm(current.taskRoot, { recursive: true, force: true })
    current = undefined
  })
  return {
    start: async (
      files: HandlerFiles,
      handler: string | undefined,
      env?: Record<string, string>,
      framing?: Framing,
    ) => {
      current = await startRuntime(layer, files, handler, env, undefined, framing, launch)
      return current
    },
  }
}
