import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'

export const REPO = path.resolve(import.meta.dirname, '..', '..')
export const BUNDLE = path.join(REPO, 'dist', 'index.js')
/**
 * The Node that runs dist/index.js: ACTION_NODE when set (CI sets Node 24, what
 * action.yml's runs.using names), else the Node running the tests.
 */
export const ACTION_NODE = process.env.ACTION_NODE || process.execPath

export interface ActionRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** The runner folders used, so a second run can share them (the tool cache above all). */
  dirs: RunnerDirs
}

export interface RunnerDirs {
  workspace: string
  temp: string
  toolCache: string
}

export async function makeRunnerDirs(root?: string): Promise<RunnerDirs> {
  const base = root ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'action-run-')))
  const dirs = {
    workspace: path.join(base, 'workspace'),
    temp: path.join(base, 'temp'),
    toolCache: path.join(base, 'toolcache'),
  }
  for (const dir of Object.values(dirs)) await fs.mkdir(dir, { recursive: true })
  return dirs
}

/** Parses the GITHUB_OUTPUT file format (`name<<DELIMITER` … `DELIMITER`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1)
      outputs[heredoc[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

export interface ActionOptions {
  env?: Record<string, string>
  dirs?: RunnerDirs
  node?: string
  /** Run as this user, as a runner's non-root user (the folders must be theirs). */
  user?: { uid: number; gid: number }
}

/** A started action: its process, its output so far, and its result once it ends. */
export interface StartedAction {
  child: ChildProcess
  stdout: () => string
  done: Promise<ActionRun>
}

/**
 * Starts the bundled action the way the runner does: inputs as INPUT_* variables,
 * outputs and summary read back from the files the runner provides.
 */
export async function startAction(
  inputs: Record<string, string>,
  options: ActionOptions = {},
): Promise<StartedAction> {
  const dirs = options.dirs ?? (await makeRunnerDirs())
  const files = await fs.mkdtemp(path.join(dirs.temp, 'files-'))
  const outputFile = path.join(files, 'output')
  const summaryFile = path.join(files, 'summary')
  await fs.writeFile(outputFile, '')
  await fs.writeFile(summaryFile, '')
  if (options.user) {
    for (const file of [files, outputFile, summaryFile]) {
      await fs.chown(file, options.user.uid, options.user.gid)
    }
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    ...options.env,
  }
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  const child = spawn(options.node ?? ACTION_NODE, [BUNDLE], {
    cwd: dirs.workspace,
    env,
    ...options.user,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject) // e.g. no Node at ACTION_NODE
    child.on('close', resolve)
  }).then(async (code) => ({
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(await fs.readFile(outputFile, 'utf8')),
    summary: await fs.readFile(summaryFile, 'utf8'),
    dirs,
  }))
  return { child, stdout: () => stdout, done }
}

/** Runs the bundled action to its end (see startAction). */
export async function runAction(
  inputs: Record<string, string>,
  options: ActionOptions = {},
): Promise<ActionRun> {
  return (await startAction(inputs, options)).done
}

/** Unzips a layer into `dir` and returns what its interpreter says `(version)` is. */
export function unzipLayer(zip: string, dir: string): string {
  execFileSync('unzip', ['-q', zip, '-d', dir])
  const home = path.join(dir, 'picoLisp')
  return execFileSync(
    path.join(home, 'bin', 'picolisp'),
    [path.join(home, 'lib.l'), '-prinl (glue "." (version T))', '-bye'],
    { encoding: 'utf8' },
  ).trim()
}
