import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

/** Passes bytes through unchanged while hashing them with sha256, so content is read exactly once. */
export class DigestStream extends Transform {
  readonly #hash = createHash('sha256')
  #size = 0

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
    this.#hash.update(bytes)
    this.#size += bytes.length
    callback(null, bytes)
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size
  }

  /** Hex sha256 of everything that passed; call once, after the stream finished. */
  digest(): string {
    return this.#hash.digest('hex')
  }
}

/**
 * A `DigestStream` that, at the end, checks the bytes against what was expected and fails the stream with
 * `onMismatch()`'s error otherwise. The check runs before the stream ends, so a reader never sees a clean
 * end of corrupted content.
 */
export class VerifyingStream extends DigestStream {
  readonly #expected: { digest: string; size: number }
  readonly #onMismatch: (actual: { digest: string; size: number }) => Promise<Error>

  constructor(
    expected: { digest: string; size: number },
    onMismatch: (actual: { digest: string; size: number }) => Promise<Error>,
  ) {
    super()
    this.#expected = expected
    this.#onMismatch = onMismatch
  }

  override _flush(callback: TransformCallback): void {
    const actual = { digest: this.digest(), size: this.size }
    if (actual.digest === this.#expected.digest && actual.size === this.#expected.size) {
      callback()
      return
    }
    this.#onMismatch(actual).then(
      (error) => callback(error),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    )
  }
}
