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
