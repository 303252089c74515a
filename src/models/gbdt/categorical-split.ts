import type { GrowOptions } from './tree-grower.js'

/**
 * Best category-set split of one categorical feature at a node. LightGBM's method: categories with enough rows
 * are ranked by g / (h + catSmooth) and every prefix of that order (from either end) is a candidate left set, so
 * k categories cost O(k log k) instead of 2^k; with few categories each one alone is tried against the rest. The
 * "other" bin (rare and unseen categories) and unranked categories always go right; missing values are tried on
 * both sides. One finder per tree grower: its scratch and its last result are reused, nothing is allocated per call.
 */
export class CategoricalSplitFinder {
  private readonly order = new Int32Array(256)
  private readonly key = new Float64Array(256)
  /** The last split found (valid after `find` returned true). */
  gain = 0
  missingLeft = 0
  gl = 0
  hl = 0

  constructor(
    private readonly options: GrowOptions,
    /** The grower's split score of a child's gradient and hessian sums. */
    private readonly score: (g: number, h: number) => number,
  ) {}

  /**
   * Looks at the node's histogram `hist` (gradient, hessian per slot) and `count` (rows per slot; null when only
   * minSamplesLeaf 1 is asked, then estimated from hessian shares) for the feature whose bins start at slot `off`
   * (`nb` value bins, the last being "other", then the missing slot). True when a split beats `floor`; then the
   * result fields are set and `mask[base …]` holds 1 per category going left, with the missing side at `nb`.
   */
  find(
    hist: Float64Array,
    count: Float64Array | null,
    off: number,
    nb: number,
    n: number,
    G: number,
    H: number,
    parentScore: number,
    minH: number,
    floor: number,
    mask: Uint8Array,
    base: number,
  ): boolean {
    const o = this.options
    const ms = off + nb
    const mg = hist[2 * ms]!
    const mh = hist[2 * ms + 1]!
    // Without row counts (minSamplesLeaf 1) a bin's rows are estimated from its hessian share.
    const perH = H > 0 ? n / H : 0
    const rowsOf = (slot: number): number => (count !== null ? count[slot]! : hist[2 * slot + 1]! * perH)
    const mc = rowsOf(ms)
    const minData = o.minDataPerCategory ?? 10
    const smooth = o.catSmooth ?? 10
    const order = this.order
    const key = this.key
    let m = 0
    // The last value bin is "other": never ranked.
    for (let b = 0; b < nb - 1; b++) {
      const slot = off + b
      if (hist[2 * slot + 1]! > 0 && rowsOf(slot) >= minData) {
        order[m++] = b
        key[b] = hist[2 * slot]! / (hist[2 * slot + 1]! + smooth)
      }
    }
    if (m === 0) return false
    const oneHot = m <= (o.maxCatToOnehot ?? 4)
    if (!oneHot) order.subarray(0, m).sort((x, y) => key[x]! - key[y]!)
    const minLeaf = o.minSamplesLeaf
    let best = floor
    let bestDir = 0
    let bestLen = 0
    let found = false
    // dir 0: prefixes from the low end (or single categories when one-hot); dir 1: prefixes from the high end.
    for (let dir = 0; dir < (oneHot ? 1 : 2); dir++) {
      let gl = 0
      let hl = 0
      let cl = 0
      const last = oneHot ? m : m - 1
      for (let j = 0; j < last; j++) {
        const b = order[dir === 0 ? j : m - 1 - j]!
        const slot = off + b
        if (oneHot) {
          gl = hist[2 * slot]!
          hl = hist[2 * slot + 1]!
          cl = rowsOf(slot)
        } else {
          gl += hist[2 * slot]!
          hl += hist[2 * slot + 1]!
          cl += rowsOf(slot)
        }
        for (let withMissing = 0; withMissing < (mc > 0 ? 2 : 1); withMissing++) {
          const g2 = withMissing === 1 ? gl + mg : gl
          const h2 = withMissing === 1 ? hl + mh : hl
          const c2 = withMissing === 1 ? cl + mc : cl
          if (count !== null && (c2 < minLeaf || n - c2 < minLeaf)) continue
          if (h2 < minH || H - h2 < minH) continue
          const gain = 0.5 * (this.score(g2, h2) + this.score(G - g2, H - h2) - parentScore)
          if (gain > best) {
            best = gain
            bestDir = dir
            bestLen = j
            found = true
            this.missingLeft = withMissing
            this.gl = g2
            this.hl = h2
          }
        }
      }
    }
    if (!found) return false
    this.gain = best
    mask.fill(0, base, base + nb + 1)
    if (oneHot) mask[base + order[bestLen]!] = 1
    else for (let j = 0; j <= bestLen; j++) mask[base + order[bestDir === 0 ? j : m - 1 - j]!] = 1
    mask[base + nb] = this.missingLeft
    return true
  }
}
