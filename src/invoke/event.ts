import * as fs from 'node:fs/promises'

/** `file.function`, as Lambda's Handler setting for this runtime; checked before anything starts. */
export function checkHandler(handler: string): string {
  const dot = handler.lastIndexOf('.')
  if (dot <= 0 || dot === handler.length - 1) {
    throw new Error(
      `Handler '${handler}' is not <file>.<function> (e.g. hello.main for hello.l's main).`,
    )
  }
  return handler
}

/** Parses an event's text; the message names where it came from. */
export function parseEvent(text: string, from: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Error(`Event ${from} is not JSON: ${(error as Error).message}`)
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The --event argument: `-` reads stdin, text that starts like JSON is the
 * event itself, anything else names a file.
 */
export async function readEventArgument(arg: string): Promise<unknown> {
  if (arg === '-') return parseEvent(await readStdin(), 'from stdin')
  if (/^\s*[[{"0-9tfn-]/.test(arg) && !(await exists(arg))) {
    return parseEvent(arg, 'given on the command line')
  }
  return readEventFile(arg)
}

export async function readEventFile(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Event file ${file} cannot be read: ${error.code ?? error.message}`)
  })
  return parseEvent(text, `file ${file}`)
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  )
}
