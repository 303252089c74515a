import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { fitGbdt } from './gbdt.js'
import { accumulateRange, accumulateRows, slotMatrix } from './histogram.js'
import { HistogramPool } from './histogram-pool.js'

describe('histogram building', () => {
  const rows = 50_000
  const nF = 5
  const nBins = [3, 256, 2, 40, 256]
  const offset = new Int32Array(nF + 1)
  for (let f = 0; f < nF; f++) offset[f + 1] = offset[f]! + nBins[f]!
  const r = createRandom(3)
  const bins = new Uint8Array(rows * nF)
  for (let i = 0; i < rows; i++) for (let f = 0; f < nF; f++) bins[i * nF + f] = r.int(nBins[f]!)
  const gh = new Float64Array(new SharedArrayBuffer(16 * rows))
  for (let i = 0; i < 2 * rows; i++) gh[i] = r.normal()
  // A leaf: every third row, ascending, in the middle of rowIdx.
  const rowIdx = new Int32Array(new SharedArrayBuffer(4 * rows))
  let m = 0
  for (let i = 0; i < rows; i += 3) rowIdx[m++] = i
  const slots = slotMatrix(bins, nF, offset, true)
  const length = 2 * offset[nF]!

  /** The histogram by definition, one row and feature at a time. */
  const naive = (rowsOf: Iterable<number>): Float64Array => {
    const h = new Float64Array(length)
    for (const row of rowsOf) {
      for (let f = 0; f < nF; f++) {
        const slot = offset[f]! + bins[row * nF + f]!
        h[2 * slot]! += gh[2 * row]!
        h[2 * slot + 1]! += gh[2 * row + 1]!
      }
    }
    return h
  }
  const leafRows = (s: number, e: number): number[] => Array.from(rowIdx.subarray(s, e))
  const range = (s: number, e: number): number[] => Array.from({ length: e - s }, (_, k) => s + k)
  const close = (got: Float64Array, want: Float64Array): void => {
    expect(got.length).toBe(want.length)
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 9)
  }

  it('accumulates a leaf (odd and even row counts) and a row range as the definition does', () => {
    const spare = new Float64Array(length)
    for (const [s, e] of [[10, m - 7], [11, m - 7], [0, 5]] as const) {
      const h = new Float64Array(length)
      accumulateRows(slots, nF, gh, rowIdx, s, e, h, spare)
      close(h, naive(leafRows(s, e)))
    }
    const h = new Float64Array(length)
    accumulateRange(slots, nF, gh, 7, rows - 2, h, spare)
    close(h, naive(range(7, rows - 2)))
  })

  it('splits rows over worker threads and adds their histograms into the caller’s', async () => {
    const pool = await HistogramPool.start(3, slots, nF, gh, rowIdx, length)
    try {
      expect(pool.threads).toBe(3)
      const spare = new Float64Array(length)
      // Twice: the second job must not see the first one's sums in the workers' histograms.
      for (let round = 0; round < 2; round++) {
        const h = new Float64Array(length)
        pool.build(5, m - 1, true, h, spare)
        close(h, naive(leafRows(5, m - 1)))
      }
      const h = new Float64Array(length)
      pool.build(0, rows, false, h, spare)
      close(h, naive(range(0, rows)))
    } finally {
      await pool.close()
    }
  })

  it('fits the same model with threads: 2 as in-process (up to summation order)', async () => {
    const n = 40_000
    const rr = createRandom(9)
    const cols = Array.from({ length: 4 }, () => new Float64Array(n))
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      for (const c of cols) c[i] = rr.normal()
      if (i % 10 === 0) cols[2]![i] = Number.NaN
      y[i] = cols[0]![i]! + cols[1]![i]! * cols[3]![i]! + 0.3 * rr.normal() > 0 ? 1 : 0
    }
    const frame = new Frame([...cols.map((c, j) => numericColumn(`x${j}`, c)), numericColumn('y', y)])
    const params = { nRounds: 5, maxLeaves: 8, minSamplesLeaf: 1, lambda: 1 }
    const one = await fitGbdt(frame, 'y', 'classification', { ...params, threads: 1 })
    const two = await fitGbdt(frame, 'y', 'classification', { ...params, threads: 2 })
    const a = one.predictProba(frame)
    const b = two.predictProba(frame)
    for (let i = 0; i < a.length; i += 97) expect(b[i]).toBeCloseTo(a[i]!, 9)
  })
})
