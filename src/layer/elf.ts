import * as fs from 'node:fs/promises'
import type { Architecture } from '../common/types.js'

/** ELF e_machine values of the architectures Lambda runs. */
const MACHINES: Record<number, Architecture> = { 62: 'x86_64', 183: 'arm64' }

/** The architecture an ELF binary is built for, read from its header. */
export async function elfArchitecture(file: string): Promise<Architecture> {
  const handle = await fs.open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(20), 0, 20, 0)
    if (bytesRead < 20 || buffer.toString('latin1', 0, 4) !== '\x7fELF') {
      throw new Error(`${file} is not an ELF binary.`)
    }
    const littleEndian = buffer[5] === 1
    const machine = littleEndian ? buffer.readUInt16LE(18) : buffer.readUInt16BE(18)
    const architecture = MACHINES[machine]
    if (!architecture)
      throw new Error(`${file} is built for ELF machine ${machine}, which Lambda does not run.`)
    return architecture
  } finally {
    await handle.close()
  }
}
