import { connect, type Socket } from 'node:net'

/** One HTTP/1.1 response as it came over the wire. */
export interface RawResponse {
  statusLine: string
  status: number
  /** Header lines in the order sent, "Name: value". */
  headerLines: string[]
  /** Header values by lower-case name. */
  headers: Record<string, string>
  body: Buffer
  /** The size of each chunk of a chunked body (the final 0 left out); undefined otherwise. */
  chunks: number[] | undefined
  /** Trailer lines of a chunked body. */
  trailerLines: string[]
}

/**
 * A keep-alive connection that writes requests verbatim and reads each
 * response as the server framed it (Content-Length or chunked), so tests can
 * assert the framing itself rather than what an HTTP library makes of it.
 */
export class RawHttpConnection {
  private buffer = Buffer.alloc(0)
  private wake: (() => void) | undefined
  private closed = false

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data])
      this.wake?.()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake?.()
    })
  }

  /** Connects to "host:port" as in AWS_LAMBDA_RUNTIME_API. */
  static open(address: string): Promise<RawHttpConnection> {
    const i = address.lastIndexOf(':')
    const host = address.slice(0, i).replace(/^\[|\]$/g, '')
    const port = Number(address.slice(i + 1))
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawHttpConnection(socket)))
      socket.once('error', reject)
    })
  }

  /** Sends bytes as given and reads one response. */
  async exchange(request: string | Buffer): Promise<RawResponse> {
    this.socket.write(request)
    return this.readResponse()
  }

  close(): void {
    this.socket.destroy()
  }

  private async readResponse(): Promise<RawResponse> {
    const head = (await this.take((await this.find('\r\n\r\n')) + 4)).toString('latin1')
    const [statusLine = '', ...headerLines] = head.slice(0, -4).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const response = {
      statusLine,
      status: Number(statusLine.split(' ')[1]),
      headerLines,
      headers,
      chunks: undefined as number[] | undefined,
      trailerLines: [] as string[],
    }
    if (headers['transfer-encoding'] === 'chunked') {
      return { ...response, ...(await this.readChunked()) }
    }
    return { ...response, body: await this.take(Number(headers['content-length'] ?? 0)) }
  }

  private async readChunked() {
    const parts: Buffer[] = []
    const chunks: number[] = []
    for (;;) {
      const size = Number.parseInt((await this.line()).split(';')[0] as string, 16)
      if (Number.isNaN(size)) throw new Error('bad chunk size line')
      if (size === 0) break
      chunks.push(size)
      parts.push(await this.take(size))
      if ((await this.line()) !== '') throw new Error('chunk not followed by CRLF')
    }
    const trailerLines: string[] = []
    for (let line = await this.line(); line !== ''; line = await this.line())
      trailerLines.push(line)
    return { body: Buffer.concat(parts), chunks, trailerLines }
  }

  private async line(): Promise<string> {
    const end = await this.find('\r\n')
    return (await this.take(end + 2)).subarray(0, end).toString('latin1')
  }

  /** Waits until text appears in the unread bytes; returns its offset. */
  private async find(text: string): Promise<number> {
    await this.until(() => this.buffer.indexOf(text) >= 0)
    return this.buffer.indexOf(text)
  }

  /** Waits for n unread bytes and consumes them. */
  private async take(n: number): Promise<Buffer> {
    await this.until(() => this.buffer.length >= n)
    const bytes = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    return bytes
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.closed) throw new Error('connection closed before the response was complete')
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }
}
