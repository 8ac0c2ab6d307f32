import * as core from '@actions/core'
import * as exec from '@actions/exec'

// The docker CLI as the Docker builder uses it: quiet runs, logged runs, and
// the checks that name the remedy when Docker is missing.

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the docker CLI quietly; the caller decides what a failure means. */
export async function docker(args: string[]): Promise<Run> {
  return exec.getExecOutput('docker', args, { ignoreReturnCode: true, silent: true })
}

/** Runs the docker CLI with its output shown in a log group, and returns that output. */
export async function dockerLogged(
  title: string,
  args: string[],
): Promise<{ exitCode: number; log: string }> {
  let log = ''
  const collect = (data: Buffer): void => {
    log += data.toString()
  }
  const exitCode = await core.group(title, () =>
    exec.exec('docker', args, {
      ignoreReturnCode: true,
      listeners: { stdout: collect, stderr: collect },
    }),
  )
  return { exitCode, log }
}

const NATIVE_REMEDY = "or set input 'builder' to 'native'"

/** Fails with the remedy when there is no docker CLI or its daemon does not answer. */
export async function checkDocker(): Promise<void> {
  let run: Run
  try {
    run = await docker(['version', '--format', '{{.Server.Version}}'])
  } catch {
    throw new Error(
      "Input 'builder' is 'docker', but there is no docker command on this runner's PATH. " +
        `Install Docker (GitHub's ubuntu runners have it) ${NATIVE_REMEDY}.`,
    )
  }
  if (run.exitCode !== 0) {
    throw new Error(
      `Input 'builder' is 'docker', but Docker's daemon does not answer: ${(run.stderr || run.stdout).trim()} ` +
        '-- start it (sudo systemctl start docker) and make sure this user may use it (the docker group), ' +
        `${NATIVE_REMEDY}.`,
    )
  }
}

/** The ID (digest of its configuration) of a local image, or undefined when there is none. */
export async function imageId(image: string): Promise<string | undefined> {
  const run = await docker(['image', 'inspect', '--format', '{{.Id}}', image])
  return run.exitCode === 0 ? run.stdout.trim() : undefined
}
