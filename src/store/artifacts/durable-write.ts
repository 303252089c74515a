import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { PutResult } from '../../artifacts/index.js'
import { invalidParameter } from '../../core/errors.js'
import { DigestStream } from './digest-stream.js'

/** Streams `source` into a new file while hashing it, then fsyncs: one pass, content never held whole. */
export async function writeDurably(file: string, source: Readable | AsyncIterable<unknown>): Promise<PutResult> {
  const handle = await open(file, 'wx', 0o644)
  try {
    const digester = new DigestStream()
    // Not `handle.createWriteStream()`: a stream that must not close the handle keeps it referenced forever.
    await pipeline(source, digester, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await writeFully(handle, chunk)
    })
    await handle.sync()
    return { digest: digester.digest(), size: digester.size }
  } finally {
    await handle.close()
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    if (bytesWritten <= 0) throw new Error('The filesystem accepted no bytes; is it full?')
    offset += bytesWritten
  }
}

export function toSource(body: Readable | Uint8Array): Readable | AsyncIterable<unknown> {
  if (body instanceof Uint8Array) return Readable.from([body])
  if (typeof body === 'object' && body !== null && Symbol.asyncIterator in body) return body
  throw invalidParameter('Artifact body must be a readable stream or a Uint8Array.')
}

/** Writes a small file and fsyncs it, ready to be renamed into place. */
export async function writeSmallFileDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx', 0o644)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
