import { open, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { invalidParameter, notFound } from '../core/errors.js'

export interface OpenedSource {
  readonly stream: AsyncIterable<Buffer | string>
  readonly totalBytes: number | undefined
  readonly label: string
}

/** A file path (size known, read in `chunkSize` pieces) or any Readable (size unknown). */
export async function openSource(source: string | Readable, chunkSize = 1 << 20): Promise<OpenedSource> {
  if (typeof source !== 'string') return { stream: source, totalBytes: undefined, label: 'stream' }
  let size: number
  try {
    const info = await stat(source)
    if (!info.isFile()) throw invalidParameter(`'${source}' is not a file; pass the path of a data file.`)
    size = info.size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No file at '${source}'; check the path.`)
    throw error
  }
  return { stream: readChunks(source, chunkSize), totalBytes: size, label: source }
}

/**
 * Reads a file into two alternating buffers: no garbage per chunk, so memory stays flat however large the
 * file. A chunk is valid until the next-but-one chunk is read; readers copy what they keep.
 */
async function* readChunks(path: string, chunkSize: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)]
    for (let i = 0; ; i++) {
      const buffer = buffers[i % 2]!
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, null)
      if (bytesRead === 0) return
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

export function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8')
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}
