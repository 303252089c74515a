import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { fitGbdt } from './gbdt.js'
import { accumulatePackedRange, accumulatePackedRows, accumulateRange, accumulateRows, slotMatrix, unpackHistogram } from './histogram.js'
import { HistogramPool } from './histogram-pool.js'
import { GradientQuantizer } from './quantize.js'

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
    // Every job on the workers, however small.
    pool.minRowsPerThread = 0
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
      // Many tiny jobs back to back: workers that wake late are closed out or join the next job, never counted
      // twice or with a stale histogram.
      const want = naive(leafRows(100, 400))
      let worst = 0
      for (let job = 0; job < 300; job++) {
        const t = new Float64Array(length)
        pool.build(100, 400, true, t, spare)
        for (let i = 0; i < length; i++) worst = Math.max(worst, Math.abs(t[i]! - want[i]!))
      }
      expect(worst).toBeLessThan(1e-9)
    } finally {
      await pool.close()
    }
  })

  it('sums packed quantised gradients exactly, in the caller and on worker threads, and unpacks them', async () => {
    const q = GradientQuantizer.forRows(rows, 5)!
    expect(q.levels).toBe(2 ** 10) // rows < 2^16: 26 − 16 bits
    const packed = new Float64Array(new SharedArrayBuffer(8 * rows))
    const ghq = new Float64Array(2 * rows)
    // Hessians must be non-negative.
    const ghPos = gh.map((v, i) => (i % 2 === 1 ? Math.abs(v) : v))
    q.quantize(ghPos, rows, packed, ghq)
    // The quantised values are what the definition sums: gh → ghq; the packed sums must give them back exactly.
    const want = (rowsOf: Iterable<number>): Float64Array => {
      const h = new Float64Array(length)
      for (const row of rowsOf) {
        for (let f = 0; f < nF; f++) {
          const slot = offset[f]! + bins[row * nF + f]!
          h[2 * slot]! += Math.round(ghq[2 * row]! / q.gScale)
          h[2 * slot + 1]! += Math.round(ghq[2 * row + 1]! / q.hScale)
        }
      }
      return h.map((v, i) => v * (i % 2 === 0 ? q.gScale : q.hScale))
    }
    const ph = new Float64Array(length / 2)
    const ps = new Float64Array(length / 2)
    accumulatePackedRows(slots, nF, packed, rowIdx, 3, m - 2, ph, ps)
    for (let i = 0; i < ph.length; i++) ph[i]! += ps[i]!
    const h = new Float64Array(length)
    unpackHistogram(ph, q.shift, q.gScale, q.hScale, h)
    expect(Array.from(h)).toEqual(Array.from(want(leafRows(3, m - 2))))
    ph.fill(0)
    ps.fill(0)
    accumulatePackedRange(slots, nF, packed, 1, rows, ph, ps)
    for (let i = 0; i < ph.length; i++) ph[i]! += ps[i]!
    unpackHistogram(ph, q.shift, q.gScale, q.hScale, h)
    expect(Array.from(h)).toEqual(Array.from(want(range(1, rows))))

    const pool = await HistogramPool.start(2, slots, nF, gh, rowIdx, length, { quantizer: q, packed })
    pool.minRowsPerThread = 0
    try {
      for (let round = 0; round < 2; round++) {
        const got = new Float64Array(length)
        pool.build(5, m - 1, true, got, new Float64Array(length))
        expect(Array.from(got)).toEqual(Array.from(want(leafRows(5, m - 1))))
      }
    } finally {
      await pool.close()
    }
  })

  it('quantises without bias: stochastic rounding keeps sums of many rows close to the exact ones', () => {
    const n = 20_000
    const q = GradientQuantizer.forRows(n, 1)!
    const g = new Float64Array(2 * n)
    const rr = createRandom(4)
    // Gradients far below one quantisation step (as for well-fitted rows) must not all round to zero.
    for (let i = 0; i < n; i++) {
      g[2 * i] = i === 0 ? 1 : 1e-5 * rr.next()
      g[2 * i + 1] = i === 0 ? 1 : 1e-5 * rr.next()
    }
    const packed = new Float64Array(n)
    const out = new Float64Array(2 * n)
    q.quantize(g, n, packed, out)
    let exact = 0
    let got = 0
    for (let i = 1; i < n; i++) {
      exact += g[2 * i]!
      got += out[2 * i]!
      expect(out[2 * i + 1]).toBeGreaterThanOrEqual(0)
    }
    expect(Math.abs(got - exact) / exact).toBeLessThan(0.25) // about 200 rows round up: ±7 % (round-to-nearest gives 0)
    expect(GradientQuantizer.forRows(2 ** 25, 1)).toBeNull()
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
