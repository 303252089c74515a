import { invalidParameter } from '../../core/errors.js'
import { createRandom, type Random } from '../../core/random.js'
import type { SerializedSketch } from '../types.js'

/**
 * KLL quantile sketch (Karnin, Lang, Liberty 2016), laid out as Apache DataSketches does: levels of
 * compactors, level h holding items of weight 2^h, capacities k·(2/3)^(depth) (at least 8), compaction lazy
 * (only when the whole sketch is full, and then only the lowest level at capacity). Compacting sorts a level and
 * promotes every other item (random offset) to the level above, so the sketch stays O(k log(n/k)) items.
 *
 * Error: normalized rank error ε(k) ≈ 2.446 / k^0.9433 at 99 % confidence (DataSketches' PMF bound), 1.65 %
 * for the default k = 200. The empirical error measured by kll.test.ts is well inside it (see
 * docs/monitoring.md). Merging two sketches gives a sketch of the union with the same bound.
 *
 * One deviation from DataSketches: level 0 always holds up to k items (not k·(2/3)^depth), which only adds
 * exact items and makes updates ~10× cheaper.
 *
 * Values are float64 in growable typed arrays: `update` allocates nothing except when a level grows.
 * NaN and ±Infinity are ignored (the profile counts them as missing / type mismatches).
 */

export const DEFAULT_KLL_K = 200
const MIN_WIDTH = 8

/** DataSketches' 99 %-confidence normalized rank error for a PMF/CDF query at this k. */
export function kllRankError(k: number): number {
  return 2.446 / k ** 0.9433
}

export interface KllState {
  k: number
  n: number
  min: number | null
  max: number | null
  seed: number
  levels: number[][]
}

export class KllSketch {
  readonly k: number
  private n = 0
  private minValue = Number.POSITIVE_INFINITY
  private maxValue = Number.NEGATIVE_INFINITY
  private levels: Float64Array[] = []
  private sizes: number[] = []
  /** Capacity per level, recomputed when a level is added (capacities depend on the depth). */
  private capacities: number[] = []
  private totalSize = 0
  private totalCapacity = 0
  private readonly random: Random
  private readonly seed: number
  private scratch: Float64Array = new Float64Array(64)
  private sorted: { values: Float64Array; cumulative: Float64Array } | undefined

  constructor(options: { k?: number; seed?: number } = {}) {
    const k = options.k ?? DEFAULT_KLL_K
    if (!Number.isInteger(k) || k < MIN_WIDTH || k > 65535) throw invalidParameter(`KLL k must be an integer in [${MIN_WIDTH}, 65535], got ${k}.`)
    this.k = k
    this.seed = options.seed ?? 0
    this.random = createRandom(this.seed)
    this.addLevel()
  }

  /** Values summarised (finite values only). */
  get count(): number {
    return this.n
  }

  get min(): number {
    return this.n === 0 ? Number.NaN : this.minValue
  }

  get max(): number {
    return this.n === 0 ? Number.NaN : this.maxValue
  }

  /** Items retained (for size checks). */
  get retained(): number {
    return this.totalSize
  }

  update(value: number): void {
    if (!Number.isFinite(value)) return
    if (this.totalSize >= this.totalCapacity) this.compressOnce()
    if (value < this.minValue) this.minValue = value
    if (value > this.maxValue) this.maxValue = value
    const size = this.sizes[0]!
    let level = this.levels[0]!
    if (size === level.length) level = this.grow(0, size + 1)
    level[size] = value
    this.sizes[0] = size + 1
    this.totalSize++
    this.n++
    this.sorted = undefined
  }

  /** Every finite value of `values` (NaN = missing is skipped). */
  updateMany(values: Float64Array): void {
    for (let i = 0; i < values.length; i++) this.update(values[i]!)
  }

  /** Folds `other` into this sketch (other is unchanged). Both must have the same k. */
  merge(other: KllSketch): void {
    if (other.k !== this.k) throw invalidParameter(`Cannot merge KLL sketches with different k (${this.k} and ${other.k}); build both with the same k.`)
    if (other.n === 0) return
    while (this.levels.length < other.levels.length) this.addLevel()
    for (let h = 0; h < other.levels.length; h++) {
      const add = other.sizes[h]!
      if (add === 0) continue
      const size = this.sizes[h]!
      const level = this.grow(h, size + add)
      level.set(other.levels[h]!.subarray(0, add), size)
      this.sizes[h] = size + add
      this.totalSize += add
      // Levels above 0 are kept sorted (compaction merges into them).
      if (h > 0) level.subarray(0, size + add).sort()
    }
    this.n += other.n
    if (other.minValue < this.minValue) this.minValue = other.minValue
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue
    let guard = 0
    while (this.totalSize > this.totalCapacity && guard++ < 10_000) this.compressOnce()
    this.sorted = undefined
  }

  /** The value at normalized rank q ∈ [0, 1] (q = 0 → min, q = 1 → max); NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw invalidParameter(`A quantile must be in [0, 1], got ${q}.`)
    if (this.n === 0) return Number.NaN
    if (q === 0) return this.minValue
    if (q === 1) return this.maxValue
    const { values, cumulative } = this.sortedView()
    const target = q * this.n
    // First item whose cumulative weight reaches the target (binary search).
    let lo = 0
    let hi = values.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cumulative[mid]! >= target) hi = mid
      else lo = mid + 1
    }
    return values[lo]!
  }

  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q))
  }

  /** Estimated fraction of values ≤ x. */
  rank(x: number): number {
    if (this.n === 0) return Number.NaN
    const { values, cumulative } = this.sortedView()
    let lo = 0
    let hi = values.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (values[mid]! <= x) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? 0 : cumulative[lo - 1]! / this.n
  }

  toJSON(): SerializedSketch {
    const state: KllState = {
      k: this.k,
      n: this.n,
      min: this.n === 0 ? null : this.minValue,
      max: this.n === 0 ? null : this.maxValue,
      seed: this.seed,
      levels: this.levels.map((level, h) => Array.from(level.subarray(0, this.sizes[h]!))),
    }
    return { kind: 'kll', state }
  }

  static fromJSON(sketch: SerializedSketch): KllSketch {
    const s = sketch.state as Partial<KllState> | null
    if (sketch.kind !== 'kll' || s === null || typeof s !== 'object' || typeof s.k !== 'number' || typeof s.n !== 'number' || !Array.isArray(s.levels)) {
      throw invalidParameter(`Not a serialised KLL sketch (kind '${String(sketch.kind)}'); expected {kind: 'kll', state: {k, n, levels, ...}}.`)
    }
    // A different stream of coin flips after reloading is fine; the seed keeps it reproducible.
    const out = new KllSketch({ k: s.k, seed: ((s.seed ?? 0) + s.n) >>> 0 })
    while (out.levels.length < s.levels.length) out.addLevel()
    let weighted = 0
    s.levels.forEach((items, h) => {
      if (!Array.isArray(items)) throw invalidParameter(`KLL level ${h} must be an array of numbers.`)
      const level = out.grow(h, items.length)
      for (let i = 0; i < items.length; i++) {
        const v = items[i]
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParameter(`KLL level ${h} item ${i} must be a finite number.`)
        level[i] = v
      }
      if (h > 0) level.subarray(0, items.length).sort()
      out.sizes[h] = items.length
      out.totalSize += items.length
      weighted += items.length * 2 ** h
    })
    if (weighted !== s.n) throw invalidParameter(`KLL state is inconsistent: its items weigh ${weighted} but n is ${s.n}.`)
    out.n = s.n
    if (s.n > 0) {
      out.minValue = typeof s.min === 'number' ? s.min : Number.POSITIVE_INFINITY
      out.maxValue = typeof s.max === 'number' ? s.max : Number.NEGATIVE_INFINITY
    }
    return out
  }

  private capacity(h: number): number {
    // Level 0 (weight-1 items, exact) is a buffer of k: the hot path is an append, and each compaction (a sort
    // of k values) is paid for by k/2 updates. Deeper capacities would compact it every few values.
    if (h === 0) return this.k
    const depth = this.levels.length - 1 - h
    return Math.max(MIN_WIDTH, Math.ceil(this.k * (2 / 3) ** depth))
  }

  private addLevel(): void {
    this.levels.push(new Float64Array(Math.max(MIN_WIDTH, 16)))
    this.sizes.push(0)
    this.capacities = this.levels.map((_, h) => this.capacity(h))
    this.totalCapacity = this.capacities.reduce((a, b) => a + b, 0)
  }

  /** Level h with room for `needed` items (doubling, so growth is amortised). */
  private grow(h: number, needed: number): Float64Array {
    const level = this.levels[h]!
    if (needed <= level.length) return level
    let length = level.length
    while (length < needed) length *= 2
    const next = new Float64Array(length)
    next.set(level.subarray(0, this.sizes[h]!))
    this.levels[h] = next
    return next
  }

  /** Halves the lowest level at or over its capacity into the level above. */
  private compressOnce(): void {
    let h = 0
    while (h < this.levels.length - 1 && this.sizes[h]! < this.capacities[h]!) h++
    if (h === this.levels.length - 1) {
      this.addLevel()
      // Capacities shrank for the lower levels: the top is compacted now only if it is really full.
    }
    const size = this.sizes[h]!
    if (size < 2) return
    const level = this.levels[h]!
    if (h === 0) sortRange(level, size)
    // An odd item stays behind (the smallest), so the promoted pairs are whole.
    const start = size % 2
    const pairs = (size - start) >>> 1
    const offset = this.random.int(2)
    const up = h + 1
    const upSize = this.sizes[up]!
    const target = this.levels[up]!
    // Merge the promoted (sorted) items into the sorted level above through scratch.
    if (this.scratch.length < upSize + pairs) this.scratch = new Float64Array(2 * (upSize + pairs))
    const out = this.scratch
    let i = 0
    let j = 0
    let o = 0
    while (i < upSize && j < pairs) {
      const a = target[i]!
      const b = level[start + 2 * j + offset]!
      if (a <= b) {
        out[o++] = a
        i++
      } else {
        out[o++] = b
        j++
      }
    }
    while (i < upSize) out[o++] = target[i++]!
    while (j < pairs) out[o++] = level[start + 2 * j++ + offset]!
    // Swap buffers instead of copying back: the old level becomes the next scratch.
    this.levels[up] = out
    this.scratch = target
    this.sizes[up] = o
    this.sizes[h] = start
    this.totalSize -= pairs
  }

  private sortedView(): { values: Float64Array; cumulative: Float64Array } {
    if (this.sorted !== undefined) return this.sorted
    const m = this.totalSize
    const values = new Float64Array(m)
    const weights = new Float64Array(m)
    let o = 0
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h]!
      const w = 2 ** h
      for (let i = 0; i < this.sizes[h]!; i++) {
        values[o] = level[i]!
        weights[o++] = w
      }
    }
    const order = new Int32Array(m)
    for (let i = 0; i < m; i++) order[i] = i
    order.sort((a, b) => values[a]! - values[b]!)
    const sortedValues = new Float64Array(m)
    const cumulative = new Float64Array(m)
    let sum = 0
    for (let i = 0; i < m; i++) {
      sortedValues[i] = values[order[i]!]!
      sum += weights[order[i]!]!
      cumulative[i] = sum
    }
    this.sorted = { values: sortedValues, cumulative }
    return this.sorted
  }
}

/**
 * Sorts values[0, n) ascending in place: quicksort (median of three) with insertion sort for short runs.
 * Faster than TypedArray.prototype.sort on the few hundred values a compaction sorts, and allocates nothing.
 */
function sortRange(a: Float64Array, n: number): void {
  const stack: number[] = []
  let l = 0
  let r = n - 1
  for (;;) {
    while (r - l > 16) {
      const m = (l + r) >>> 1
      const x = a[l]!
      const y = a[m]!
      const z = a[r]!
      const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y
      let i = l
      let j = r
      while (i <= j) {
        while (a[i]! < pivot) i++
        while (a[j]! > pivot) j--
        if (i <= j) {
          const t = a[i]!
          a[i++] = a[j]!
          a[j--] = t
        }
      }
      // Recurse into the smaller side later, loop on the larger: the stack stays O(log n).
      if (j - l < r - i) {
        if (i < r) stack.push(i, r)
        r = j
      } else {
        if (l < j) stack.push(l, j)
        l = i
      }
    }
    for (let i = l + 1; i <= r; i++) {
      const v = a[i]!
      let j = i - 1
      while (j >= l && a[j]! > v) {
        a[j + 1] = a[j]!
        j--
      }
      a[j + 1] = v
    }
    if (stack.length === 0) return
    r = stack.pop()!
    l = stack.pop()!
  }
}
