import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import { datasetDigest, datasetProfileSummary } from './dataset-digest.js'

const base = (): Frame =>
  new Frame([numericColumn('x', [1.5, Number.NaN, -0, 3]), categoricalColumn('c', ['a', null, 'b', 'a']), numericColumn('t', [0, 1, 2, 3], 'datetime')])

describe('datasetDigest', () => {
  it('is the documented sha256 of names, kinds and values', () => {
    const f = new Frame([numericColumn('x', [1.5, Number.NaN]), categoricalColumn('c', ['ab', null])])
    const u32 = (n: number): Buffer => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(n)
      return b
    }
    const u64 = (n: number): Buffer => {
      const b = Buffer.alloc(8)
      b.writeBigUInt64LE(BigInt(n))
      return b
    }
    const values = Buffer.alloc(16)
    values.writeDoubleLE(1.5, 0)
    values.writeUInt32LE(0x7ff80000, 12)
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('keel-dataset-digest/v1\n'), u64(2), u64(2), u32(1), Buffer.from('x'), Buffer.from('n'), values]))
      .update(Buffer.concat([u32(1), Buffer.from('c'), Buffer.from('c'), u32(2), Buffer.from('ab'), Buffer.from([0xff, 0xff, 0xff, 0xff])]))
      .digest('hex')
    expect(datasetDigest(f)).toBe(expected)
  })

  it('ignores category order, NaN payloads, -0 and int/float dtype; sees every value, name and kind', () => {
    const digest = datasetDigest(base())
    const reordered = new Frame([numericColumn('x', [1.5, Number.NaN, 0, 3], 'int'), categoricalColumn('c', ['a', null, 'b', 'a'], ['b', 'a']), numericColumn('t', [0, 1, 2, 3], 'datetime')])
    const odd = new Float64Array([1.5, 0, -0, 3])
    new Uint32Array(odd.buffer)[3] = 0xfff80001 // a negative NaN with a payload
    const payload = new Frame([numericColumn('x', odd), categoricalColumn('c', ['a', null, 'b', 'a']), numericColumn('t', [0, 1, 2, 3], 'datetime')])
    expect(Number.isNaN(odd[1])).toBe(true)
    expect(datasetDigest(reordered)).toBe(digest)
    expect(datasetDigest(payload)).toBe(digest)
    const changes = [
      new Frame([numericColumn('x', [1.5, Number.NaN, 0, 3.0000000000000004]), base().column('c'), base().column('t')]),
      new Frame([numericColumn('y', [1.5, Number.NaN, 0, 3]), base().column('c'), base().column('t')]),
      new Frame([base().column('x'), { kind: 'categorical', name: 'c', codes: Int32Array.from([0, 1, 2, 0]), categories: ['a', '', 'b'] }, base().column('t')]),
      new Frame([base().column('x'), base().column('c'), numericColumn('t', [0, 1, 2, 3])]),
      base().take([1, 0, 2, 3]),
      base().slice(0, 3),
      base().select(['c', 'x', 't']),
    ]
    for (const [i, frame] of changes.entries()) expect(datasetDigest(frame), `change ${i}`).not.toBe(digest)
  })

  it('hashes categorical columns larger than its buffer the same as in one piece', () => {
    const values = Array.from({ length: 50_000 }, (_, i) => (i % 7 === 0 ? null : `value-${i % 1000}`))
    const a = new Frame([categoricalColumn('c', values)])
    const b = new Frame([categoricalColumn('c', values, [...new Set(values.filter((v) => v !== null))].reverse() as string[])])
    expect(datasetDigest(a)).toBe(datasetDigest(b))
  })
})

describe('datasetProfileSummary', () => {
  it('gives rows, columns, kinds and missing counts', () => {
    expect(datasetProfileSummary(base())).toEqual({
      rows: 4,
      columns: 3,
      columnProfiles: [
        { name: 'x', kind: 'numeric', dtype: 'float', missing: 1 },
        { name: 'c', kind: 'categorical', dtype: 'category', missing: 1, categories: 2 },
        { name: 't', kind: 'numeric', dtype: 'datetime', missing: 0 },
      ],
    })
  })
})
