import * as fs from 'node:fs/promises'
import type { Architecture } from './types.js'

/** ELF e_machine values of the architectures Lambda runs. */
const MACHINES: Record<number, Architecture> = { 62: 'x86_64', 183: 'arm64' }

/** A few other e_machine values, so an error can say what a stray file is built for. */
const OTHER_MACHINES: Record<number, string> = {
  3: 'i386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC 64',
  22: 'S/390',
  40: 'ARM (32-bit)',
  243: 'RISC-V',
}

/** The e_machine of an ELF file, or undefined when the file is not ELF. */
export async function elfMachine(file: string): Promise<number | undefined> {
  const handle = await fs.open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(20), 0, 20, 0)
    if (bytesRead < 20 || buffer.toString('latin1', 0, 4) !== '\x7fELF') return undefined
    const littleEndian = buffer[5] === 1
    return littleEndian ? buffer.readUInt16LE(18) : buffer.readUInt16BE(18)
  } finally {
    await handle.close()
  }
}

/** How an error names a machine: the Lambda name, else a common name, else the number. */
function machineName(machine: number): string {
  return MACHINES[machine] ?? OTHER_MACHINES[machine] ?? `ELF machine ${machine}`
}

/** The architecture an ELF binary is built for, read from its header. */
export async function elfArchitecture(file: string): Promise<Architecture> {
  const machine = await elfMachine(file)
  if (machine === undefined) throw new Error(`${file} is not an ELF binary.`)
  const architecture = MACHINES[machine]
  if (!architecture)
    throw new Error(`${file} is built for ELF machine ${machine}, which Lambda does not run.`)
  return architecture
}

/**
 * Every ELF file among `files` (the layer's entries: name in the zip, file on
 * disk) must be built for `architecture`: Lambda would fail to load any other
 * only when a handler first uses it. Files that are not ELF are not checked.
 */
export async function checkArchitecture(
  files: { name: string; source: string }[],
  architecture: Architecture,
): Promise<void> {
  const wrong: string[] = []
  for (const file of files) {
    const machine = await elfMachine(file.source)
    if (machine !== undefined && MACHINES[machine] !== architecture) {
      wrong.push(`${file.name} is built for ${machineName(machine)}`)
    }
  }
  if (wrong.length > 0) {
    throw new Error(
      `The layer is for ${architecture} (input 'architecture'), but:\n- ${wrong.join('\n- ')}\n` +
        `Rebuild or replace these files for ${architecture}, or leave them out of 'extra-files' and 'shared-libraries'.`,
    )
  }
}
