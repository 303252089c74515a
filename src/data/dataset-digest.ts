import { createHash } from 'node:crypto'
import type { Frame } from '../core/frame.js'

/**
 * sha256 (hex) of a frame's *content*, independent of the file format it came from and of the order in
 * which categories first appeared. Exactly what is hashed, in order:
 *
 * 1. the ASCII tag `keel-dataset-digest/v1\n`;
 * 2. the row count and the column count, each as uint64 little-endian;
 * 3. per column, in frame order: the name (uint32 LE byte length + UTF-8 bytes), one kind byte and the values:
 *    - `n` (number: float and int dtypes alike, since both hold the same float64), `b` (bool), `d` (datetime,
 *      epoch ms): each value as float64 little-endian, every NaN (missing) as the canonical quiet NaN
 *      0x7FF8000000000000 and -0 as +0;
 *    - `c` (categorical): per row the resolved string (uint32 LE byte length + UTF-8 bytes), missing as the
 *      length 0xFFFFFFFF with no bytes (so a missing cell differs from an empty string).
 *
 * So row order, column order, names, kinds and every value count; the reader, chunking, category codes and
 * the typed-array capacity do not.
 */
export function datasetDigest(frame: Frame): string {
  const hash = createHash('sha256')
  hash.update('keel-dataset-digest/v1\n')
  const head = Buffer.alloc(16)
  head.writeBigUInt64LE(BigInt(frame.rows), 0)
  head.writeBigUInt64LE(BigInt(frame.columns.length), 8)
  hash.update(head)
  const BLOCK = 8192
  const scratch = new Float64Array(BLOCK)
  const scratchBytes = new Uint8Array(scratch.buffer)
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  const view = new DataView(scratch.buffer)
  for (const column of frame.columns) {
    const name = Buffer.from(column.name, 'utf8')
    const len = Buffer.alloc(4)
    len.writeUInt32LE(name.length)
    hash.update(len)
    hash.update(name)
    if (column.kind === 'numeric') {
      hash.update(column.dtype === 'bool' ? 'b' : column.dtype === 'datetime' ? 'd' : 'n')
      const values = column.values
      for (let start = 0; start < values.length; start += BLOCK) {
        const n = Math.min(BLOCK, values.length - start)
        for (let i = 0; i < n; i++) {
          const v = values[start + i]!
          // v !== v is NaN; writing the NaN constant stores the canonical bit pattern. v + 0 turns -0 into +0.
          scratch[i] = v !== v ? Number.NaN : v + 0
        }
        if (!littleEndian) for (let i = 0; i < n; i++) view.setFloat64(i * 8, scratch[i]!, true)
        hash.update(scratchBytes.subarray(0, n * 8))
      }
    } else {
      hash.update('c')
      const encoded = column.categories.map((c) => {
        const bytes = Buffer.from(c, 'utf8')
        const out = Buffer.alloc(4 + bytes.length)
        out.writeUInt32LE(bytes.length)
        bytes.copy(out, 4)
        return out
      })
      const missing = Buffer.from([0xff, 0xff, 0xff, 0xff])
      const out = Buffer.allocUnsafe(1 << 16)
      let used = 0
      const codes = column.codes
      for (let i = 0; i < codes.length; i++) {
        const code = codes[i]!
        const piece = code < 0 ? missing : encoded[code]!
        if (used + piece.length > out.length) {
          hash.update(out.subarray(0, used))
          used = 0
        }
        if (piece.length > out.length) hash.update(piece)
        else used += piece.copy(out, used)
      }
      hash.update(out.subarray(0, used))
    }
  }
  return hash.digest('hex')
}

export interface ColumnProfile {
  readonly name: string
  readonly kind: 'numeric' | 'categorical'
  /** numeric: float, int, bool or datetime; categorical: category. */
  readonly dtype: string
  readonly missing: number
  /** Distinct categories (categorical columns only). */
  readonly categories?: number
}

export interface DatasetProfileSummary {
  readonly rows: number
  readonly columns: number
  readonly columnProfiles: readonly ColumnProfile[]
}

/** A small JSON summary to log next to the digest: shape, per-column kind and missing count. */
export function datasetProfileSummary(frame: Frame): DatasetProfileSummary {
  return {
    rows: frame.rows,
    columns: frame.columns.length,
    columnProfiles: frame.columns.map((column): ColumnProfile => {
      let missing = 0
      if (column.kind === 'numeric') {
        for (const v of column.values) if (v !== v) missing++
        return { name: column.name, kind: 'numeric', dtype: column.dtype, missing }
      }
      for (const c of column.codes) if (c < 0) missing++
      return { name: column.name, kind: 'categorical', dtype: 'category', missing, categories: column.categories.length }
    }),
  }
}
