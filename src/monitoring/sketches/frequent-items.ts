import { invalidParameter } from '../../core/errors.js'
import type { SerializedSketch } from '../types.js'

/**
 * Frequent items (Misra–Gries with weights, purged as Apache DataSketches' frequent-items sketch does): at most
 * `capacity` counters. When a new item arrives at a full sketch, the median counter is subtracted from every
 * counter, those at or below zero are dropped, and the subtracted amount is added to `offset`. Hence for every
 * item: `estimate ≤ true count ≤ estimate + offset` (an item without a counter has estimate 0), and
 * `offset ≤ 2·n / capacity`. Merge adds the other's counters, then purges; offsets add, so the bounds hold for
 * merged sketches too.
 *
 * `exactOnly` sketches never purge: the first time they would, they overflow (drop their counters and ignore
 * further input). Profiles use that for numeric columns, where frequent items only mean something while the
 * column has few distinct values, and where counting every value of a continuous column would be wasted work.
 */

export const DEFAULT_FREQUENT_CAPACITY = 128

export type FrequentKey = string | number

export interface FrequentItem {
  value: FrequentKey
  /** Lower bound of the true count (the counter). */
  count: number
  /** Upper bound of the true count. */
  upperBound: number
}

export interface FrequentItemsState {
  capacity: number
  exactOnly: boolean
  overflowed: boolean
  /** Total weight seen. */
  n: number
  offset: number
  items: Array<[FrequentKey, number]>
}

export class FrequentItems {
  readonly capacity: number
  readonly exactOnly: boolean
  private counters = new Map<FrequentKey, number>()
  private total = 0
  private offsetValue = 0
  private overflow = false

  constructor(options: { capacity?: number; exactOnly?: boolean } = {}) {
    const capacity = options.capacity ?? DEFAULT_FREQUENT_CAPACITY
    if (!Number.isInteger(capacity) || capacity < 2 || capacity > 1_000_000) {
      throw invalidParameter(`Frequent-items capacity must be an integer in [2, 1000000], got ${capacity}.`)
    }
    this.capacity = capacity
    this.exactOnly = options.exactOnly ?? false
  }

  /** Total weight added. */
  get n(): number {
    return this.total
  }

  /** Most any estimate can be below the true count. */
  get offset(): number {
    return this.offsetValue
  }

  /** True once an exactOnly sketch saw more distinct items than its capacity. */
  get overflowed(): boolean {
    return this.overflow
  }

  get size(): number {
    return this.counters.size
  }

  add(value: FrequentKey, weight = 1): void {
    this.total += weight
    if (this.overflow) return
    const current = this.counters.get(value)
    if (current !== undefined) {
      this.counters.set(value, current + weight)
      return
    }
    if (this.counters.size >= this.capacity) {
      if (this.exactOnly) {
        this.overflowNow()
        return
      }
      this.purge()
    }
    this.counters.set(value, weight)
  }

  merge(other: FrequentItems): void {
    if (other.capacity !== this.capacity || other.exactOnly !== this.exactOnly) {
      throw invalidParameter(`Cannot merge frequent-items sketches with different settings (capacity ${this.capacity}/${other.capacity}, exactOnly ${this.exactOnly}/${other.exactOnly}).`)
    }
    const total = this.total + other.total
    if (other.overflow) this.overflowNow()
    if (!this.overflow) {
      this.offsetValue += other.offsetValue
      for (const [value, count] of other.counters) {
        this.add(value, count)
        this.total -= count // add() counted it; the total is set below
      }
    }
    this.total = total
  }

  /** Estimate of `value`'s count (0 when it has no counter) and its bounds. */
  estimate(value: FrequentKey): FrequentItem {
    const count = this.counters.get(value) ?? 0
    return { value, count, upperBound: count + this.offsetValue }
  }

  /**
   * Items by decreasing count. `noFalsePositives` (default) keeps only items whose lower bound exceeds the
   * offset, i.e. those surely more frequent than any item without a counter.
   */
  items(options: { noFalsePositives?: boolean } = {}): FrequentItem[] {
    const strict = options.noFalsePositives ?? false
    const out: FrequentItem[] = []
    for (const [value, count] of this.counters) {
      if (strict && count <= this.offsetValue) continue
      out.push({ value, count, upperBound: count + this.offsetValue })
    }
    return out.sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
  }

  toJSON(): SerializedSketch {
    const state: FrequentItemsState = {
      capacity: this.capacity,
      exactOnly: this.exactOnly,
      overflowed: this.overflow,
      n: this.total,
      offset: this.offsetValue,
      items: this.items().map((i) => [i.value, i.count]),
    }
    return { kind: 'frequent-items', state }
  }

  static fromJSON(sketch: SerializedSketch): FrequentItems {
    const s = sketch.state as Partial<FrequentItemsState> | null
    if (sketch.kind !== 'frequent-items' || s === null || typeof s !== 'object' || typeof s.capacity !== 'number' || !Array.isArray(s.items)) {
      throw invalidParameter(`Not a serialised frequent-items sketch (kind '${String(sketch.kind)}'); expected {kind: 'frequent-items', state: {capacity, items, ...}}.`)
    }
    const out = new FrequentItems({ capacity: s.capacity, exactOnly: s.exactOnly === true })
    for (const entry of s.items) {
      if (!Array.isArray(entry) || (typeof entry[0] !== 'string' && typeof entry[0] !== 'number') || typeof entry[1] !== 'number') {
        throw invalidParameter('Frequent-items entries must be [value, count] pairs.')
      }
      out.counters.set(entry[0], entry[1])
    }
    out.total = typeof s.n === 'number' ? s.n : 0
    out.offsetValue = typeof s.offset === 'number' ? s.offset : 0
    if (s.overflowed === true) out.overflowNow()
    return out
  }

  private overflowNow(): void {
    this.overflow = true
    this.counters.clear()
  }

  /** Subtracts the median counter from all and drops the non-positive ones (amortised O(1) per add). */
  private purge(): void {
    const counts = new Float64Array(this.counters.size)
    let i = 0
    for (const c of this.counters.values()) counts[i++] = c
    counts.sort()
    const median = counts[counts.length >>> 1]!
    for (const [value, count] of this.counters) {
      const next = count - median
      if (next <= 0) this.counters.delete(value)
      else this.counters.set(value, next)
    }
    this.offsetValue += median
  }
}
