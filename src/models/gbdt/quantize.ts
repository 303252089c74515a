/**
 * Quantised gradients for histogram building (LightGBM 4's "quantized training", Shi et al. 2022): per tree,
 * gradients are scaled to integers in [−levels, levels] and hessians to [0, levels] with stochastic rounding
 * (unbiased, so leaf sums stay right on average), and packed into one float64 per row, gq · 2^shift + hq.
 * Histograms then sum one number per row and feature instead of two, exactly (integer sums below 2^53).
 * Only split finding sees the quantised values: the caller recomputes leaf values from the exact gradients.
 */
export class GradientQuantizer {
  /** Largest |gq| and hq. */
  readonly levels: number
  /** hq sums stay below 2^shift: H of every row fits under the packed gradient. */
  readonly shift: number
  gScale = 1
  hScale = 1
  private state: number

  private constructor(rows: number, levelBits: number, seed: number) {
    const rowBits = Math.ceil(Math.log2(rows + 1))
    this.levels = 2 ** levelBits
    this.shift = rowBits + levelBits
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /**
   * A quantiser for `rows` rows, or null when rows are too many for a useful resolution within 2^53. With
   * rows < 2^r the packed sum is bounded by 2^(2r + 2b), so b = 26 − r bits per value: 8 bits at 160,000 rows,
   * 6 at 1,000,000, 3 at 8 million (LightGBM's default is 2–3 bits with stochastic rounding).
   */
  static forRows(rows: number, seed: number): GradientQuantizer | null {
    const rowBits = Math.ceil(Math.log2(rows + 1))
    const levelBits = Math.min(MAX_LEVEL_BITS, 26 - rowBits)
    if (levelBits < MIN_LEVEL_BITS) return null
    return new GradientQuantizer(rows, levelBits, seed)
  }

  /**
   * Quantises interleaved gh (rows 0 … n − 1) into packed, and writes the dequantised values into ghOut so
   * the grower's own sums (the root's) agree with the histograms. Sets gScale and hScale for unpacking.
   */
  quantize(gh: Float64Array, n: number, packed: Float64Array, ghOut: Float64Array): void {
    let gMax = 0
    let hMax = 0
    for (let i = 0; i < n; i++) {
      const g = Math.abs(gh[2 * i]!)
      const h = gh[2 * i + 1]!
      if (g > gMax) gMax = g
      if (h > hMax) hMax = h
    }
    const L = this.levels
    const gScale = gMax > 0 ? gMax / L : 1
    const hScale = hMax > 0 ? hMax / L : 1
    // Shrunk a hair so |g| · gInv < levels despite rounding, keeping gq in [−levels, levels].
    const gInv = (1 - 2 ** -40) / gScale
    const hInv = (1 - 2 ** -40) / hScale
    const unit = 2 ** this.shift
    let x = this.state
    for (let i = 0; i < n; i++) {
      // xorshift32, one draw per row: its high and low 16 bits are the two uniforms (16 bits of resolution is
      // plenty beside ≤ 2^12 levels). floor(v + u) rounds v up with probability frac(v); |v| < levels, so
      // no clamping is needed.
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const gq = Math.floor(gh[2 * i]! * gInv + (x >>> 16) * U16)
      const hq = Math.floor(gh[2 * i + 1]! * hInv + (x & 0xffff) * U16)
      packed[i] = gq * unit + hq
      ghOut[2 * i] = gq * gScale
      ghOut[2 * i + 1] = hq * hScale
    }
    this.state = x
    this.gScale = gScale
    this.hScale = hScale
  }
}

/** More bits than this change nothing measurable; fewer than this and splits get noticeably noisier. */
const MAX_LEVEL_BITS = 12
const MIN_LEVEL_BITS = 2
const U16 = 1 / 65536
