/**
 * The histogram inner loop, shared by the in-process grower and the histogram workers. `slots` is the bin
 * matrix pre-resolved to histogram positions, row-major: slots[row * nF + f] = 2 · (offset[f] + bin), so one
 * load gives where a row's gradient goes (no per-feature offset lookup, no ×2), and the hessian goes one after.
 * Rows rowIdx[s, e) (ascending within a leaf, so the matrix is read forwards) add their interleaved
 * gradient/hessian gh[2r], gh[2r + 1]; `hist` must be zeroed by the caller.
 */
export function accumulateRows(slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  // Two rows at a time into two histograms: a feature with few distinct bins (a one-hot column) hits the same
  // slot on consecutive rows, and one histogram would chain every add through the previous store.
  if (e - s < PAIRED_MIN_ROWS) {
    accumulateSingle(slots, nF, gh, rowIdx, s, e, hist)
    return
  }
  spare.fill(0)
  accumulateRowsPaired(slots, nF, gh, rowIdx, s, e, hist, spare)
  for (let i = 0; i < hist.length; i++) hist[i]! += spare[i]!
}

/** accumulateRows without clearing or folding `spare`: the caller folds it into `hist` after its last call. */
export function accumulateRowsPaired(slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  let p = s
  for (; p + 1 < e; p += 2) {
    const r0 = rowIdx[p]!
    const r1 = rowIdx[p + 1]!
    const g0 = gh[2 * r0]!
    const h0 = gh[2 * r0 + 1]!
    const g1 = gh[2 * r1]!
    const h1 = gh[2 * r1 + 1]!
    const q0 = r0 * nF
    const q1 = r1 * nF
    for (let f = 0; f < nF; f++) {
      const k0 = slots[q0 + f]!
      const k1 = slots[q1 + f]!
      hist[k0]! += g0
      spare[k1]! += g1
      hist[k0 + 1]! += h0
      spare[k1 + 1]! += h1
    }
  }
  if (p < e) accumulateSingle(slots, nF, gh, rowIdx, p, e, hist)
}

function accumulateSingle(slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array, s: number, e: number, hist: Float64Array): void {
  for (let p = s; p < e; p++) {
    const r = rowIdx[p]!
    const g = gh[2 * r]!
    const h = gh[2 * r + 1]!
    let q = r * nF
    const end = q + nF
    for (; q < end; q++) {
      const k = slots[q]!
      hist[k]! += g
      hist[k + 1]! += h
    }
  }
}

/** Below this many rows the second histogram costs more to clear and fold in than it saves. */
const PAIRED_MIN_ROWS = 4096

/** accumulateRows over the contiguous rows [s, e) (the root of a tree that sees every row). */
export function accumulateRange(slots: Uint16Array, nF: number, gh: Float64Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  spare.fill(0)
  accumulateRangePaired(slots, nF, gh, s, e, hist, spare)
  for (let i = 0; i < hist.length; i++) hist[i]! += spare[i]!
}

/** accumulateRange without clearing or folding `spare`. */
export function accumulateRangePaired(slots: Uint16Array, nF: number, gh: Float64Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  let r = s
  for (; r + 1 < e; r += 2) {
    const g0 = gh[2 * r]!
    const h0 = gh[2 * r + 1]!
    const g1 = gh[2 * r + 2]!
    const h1 = gh[2 * r + 3]!
    const q0 = r * nF
    const q1 = q0 + nF
    for (let f = 0; f < nF; f++) {
      const k0 = slots[q0 + f]!
      const k1 = slots[q1 + f]!
      hist[k0]! += g0
      spare[k1]! += g1
      hist[k0 + 1]! += h0
      spare[k1 + 1]! += h1
    }
  }
  for (; r < e; r++) {
    const g = gh[2 * r]!
    const h = gh[2 * r + 1]!
    const q = r * nF
    for (let f = 0; f < nF; f++) {
      const k = slots[q + f]!
      hist[k]! += g
      hist[k + 1]! += h
    }
  }
}

/**
 * One thread's share of a pooled histogram job: claims chunks of CHUNK_ROWS rows of [s, e) from the shared
 * counter control[next] until none are left, so a thread that gets less CPU simply takes fewer chunks.
 * Accumulates into hist and spare without clearing or folding.
 */
export function accumulateChunks(
  control: Int32Array, next: number, viaIndex: boolean, slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array,
  s: number, e: number, hist: Float64Array, spare: Float64Array,
): void {
  for (;;) {
    const a = s + Atomics.add(control, next, 1) * CHUNK_ROWS
    if (a >= e) return
    const b = Math.min(e, a + CHUNK_ROWS)
    if (viaIndex) accumulateRowsPaired(slots, nF, gh, rowIdx, a, b, hist, spare)
    else accumulateRangePaired(slots, nF, gh, a, b, hist, spare)
  }
}

export const CHUNK_ROWS = 4096

/** The slot matrix for accumulateRows from the byte bin matrix and per-feature histogram offsets. */
export function slotMatrix(bins: Uint8Array, nF: number, offset: Int32Array, shared: boolean): Uint16Array {
  const out = shared ? new Uint16Array(new SharedArrayBuffer(bins.length * 2)) : new Uint16Array(bins.length)
  for (let q = 0, f = 0; q < bins.length; q++) {
    out[q] = 2 * (offset[f]! + bins[q]!)
    if (++f === nF) f = 0
  }
  return out
}

/*
 * Quantised histograms (see quantize.ts): each row's gradient and hessian are small integers packed into one
 * float64, packed[r] = gq · 2^shift + hq, so a histogram add is one load/add/store instead of two and a
 * histogram is half the size. Sums of integers below 2^53 are exact in float64, in any order. `slots` is the
 * same matrix as above (2 · position), so the packed position is slots[q] >>> 1.
 */

/** Adds packed[r] for rows rowIdx[s, e) into packed histograms `hist` and `spare` (two rows at a time, see accumulateRows); neither is cleared. */
export function accumulatePackedRows(slots: Uint16Array, nF: number, packed: Float64Array, rowIdx: Int32Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  let p = s
  for (; p + 1 < e; p += 2) {
    const r0 = rowIdx[p]!
    const r1 = rowIdx[p + 1]!
    const v0 = packed[r0]!
    const v1 = packed[r1]!
    const q0 = r0 * nF
    const q1 = r1 * nF
    for (let f = 0; f < nF; f++) {
      hist[slots[q0 + f]! >>> 1]! += v0
      spare[slots[q1 + f]! >>> 1]! += v1
    }
  }
  if (p < e) {
    const r = rowIdx[p]!
    const v = packed[r]!
    const q = r * nF
    for (let f = 0; f < nF; f++) hist[slots[q + f]! >>> 1]! += v
  }
}

/** accumulatePackedRows over the contiguous rows [s, e). */
export function accumulatePackedRange(slots: Uint16Array, nF: number, packed: Float64Array, s: number, e: number, hist: Float64Array, spare: Float64Array): void {
  let r = s
  for (; r + 1 < e; r += 2) {
    const v0 = packed[r]!
    const v1 = packed[r + 1]!
    const q0 = r * nF
    const q1 = q0 + nF
    for (let f = 0; f < nF; f++) {
      hist[slots[q0 + f]! >>> 1]! += v0
      spare[slots[q1 + f]! >>> 1]! += v1
    }
  }
  if (r < e) {
    const v = packed[r]!
    const q = r * nF
    for (let f = 0; f < nF; f++) hist[slots[q + f]! >>> 1]! += v
  }
}

/** accumulateChunks for packed histograms. */
export function accumulatePackedChunks(
  control: Int32Array, next: number, viaIndex: boolean, slots: Uint16Array, nF: number, packed: Float64Array, rowIdx: Int32Array,
  s: number, e: number, hist: Float64Array, spare: Float64Array,
): void {
  for (;;) {
    const a = s + Atomics.add(control, next, 1) * CHUNK_ROWS
    if (a >= e) return
    const b = Math.min(e, a + CHUNK_ROWS)
    if (viaIndex) accumulatePackedRows(slots, nF, packed, rowIdx, a, b, hist, spare)
    else accumulatePackedRange(slots, nF, packed, a, b, hist, spare)
  }
}

/**
 * Unpacks a packed histogram (integer sums G · 2^shift + H with 0 ≤ H < 2^shift) into the interleaved
 * [gradient, hessian] layout the grower reads, scaled back: out[2i] = G · gScale, out[2i + 1] = H · hScale.
 */
export function unpackHistogram(packedHist: Float64Array, shift: number, gScale: number, hScale: number, out: Float64Array): void {
  const unit = 2 ** shift
  const inv = 1 / unit // a power of two: P · inv is exact
  for (let i = 0; i < packedHist.length; i++) {
    const v = packedHist[i]!
    const g = Math.floor(v * inv)
    out[2 * i] = g * gScale
    out[2 * i + 1] = (v - g * unit) * hScale
  }
}
