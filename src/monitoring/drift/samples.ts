import { sortedFloat64 } from '../stats/sort.js'

/**
 * What drift tests compare: a numeric pair (finite values only; sorted copies (radix sort, stats/sort.ts) made once, on first use, and
 * shared by every test that needs order) or a counts pair (one count per category over the union of
 * categories seen in either sample).
 */

export class NumericPair {
  private sortedRef: Float64Array | undefined
  private sortedCur: Float64Array | undefined
  constructor(
    readonly reference: Float64Array,
    readonly current: Float64Array,
  ) {}

  /** Sorted copy of the reference (native Float64Array sort, numeric order). */
  get referenceSorted(): Float64Array {
    this.sortedRef ??= sortedCopy(this.reference)
    return this.sortedRef
  }

  get currentSorted(): Float64Array {
    this.sortedCur ??= sortedCopy(this.current)
    return this.sortedCur
  }

  /** Distinct values in the reference, counting no further than `cap` (so continuous data stops early). */
  referenceUniqueUpTo(cap: number): number {
    return uniqueUpTo([this.reference], cap)
  }

  /** Distinct values in reference ∪ current, counting no further than `cap`. */
  unionUniqueUpTo(cap: number): number {
    return uniqueUpTo([this.reference, this.current], cap)
  }
}

export interface CountsPair {
  /** Category labels (strings for categorical columns, numbers for a numeric column's distinct values). */
  categories: Array<string | number>
  reference: Float64Array
  current: Float64Array
  referenceTotal: number
  currentTotal: number
}

function sortedCopy(values: Float64Array): Float64Array {
  return sortedFloat64(values)
}

function uniqueUpTo(arrays: Float64Array[], cap: number): number {
  const seen = new Float64Array(cap + 1)
  let count = 0
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      let found = false
      for (let k = 0; k < count; k++) {
        if (seen[k] === v) {
          found = true
          break
        }
      }
      if (found) continue
      seen[count++] = v
      if (count > cap) return count
    }
  }
  return count
}

/** Keeps finite values (Evidently turns ±inf into NaN and drops NaN before any test). */
export function finiteValues(values: Float64Array): Float64Array {
  let n = 0
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++
  if (n === values.length) return values
  const out = new Float64Array(n)
  let k = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isFinite(v)) out[k++] = v
  }
  return out
}

/** Value counts of a numeric pair over the union of its distinct values, in ascending value order. */
export function numericCounts(pair: NumericPair): CountsPair {
  const a = pair.referenceSorted
  const b = pair.currentSorted
  const categories: number[] = []
  const ref: number[] = []
  const cur: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const z = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!
    let fa = 0
    let fb = 0
    while (i < a.length && a[i] === z) {
      i++
      fa++
    }
    while (j < b.length && b[j] === z) {
      j++
      fb++
    }
    categories.push(z)
    ref.push(fa)
    cur.push(fb)
  }
  return { categories, reference: Float64Array.from(ref), current: Float64Array.from(cur), referenceTotal: a.length, currentTotal: b.length }
}

/** Counts of two dictionary-encoded columns over the union of their categories (missing codes skipped). */
export function categoricalCounts(
  refCodes: Int32Array,
  refCategories: readonly string[],
  curCodes: Int32Array,
  curCategories: readonly string[],
): CountsPair {
  const index = new Map<string, number>()
  const categories: string[] = []
  const refMap = new Int32Array(refCategories.length)
  const curMap = new Int32Array(curCategories.length)
  refCategories.forEach((c, k) => {
    if (!index.has(c)) {
      index.set(c, categories.length)
      categories.push(c)
    }
    refMap[k] = index.get(c)!
  })
  curCategories.forEach((c, k) => {
    if (!index.has(c)) {
      index.set(c, categories.length)
      categories.push(c)
    }
    curMap[k] = index.get(c)!
  })
  const reference = new Float64Array(categories.length)
  const current = new Float64Array(categories.length)
  let referenceTotal = 0
  let currentTotal = 0
  for (let i = 0; i < refCodes.length; i++) {
    const c = refCodes[i]!
    if (c < 0) continue
    const r = refMap[c]!
    reference[r] = reference[r]! + 1
    referenceTotal++
  }
  for (let i = 0; i < curCodes.length; i++) {
    const c = curCodes[i]!
    if (c < 0) continue
    const q = curMap[c]!
    current[q] = current[q]! + 1
    currentTotal++
  }
  // Categories present in neither sample (dictionary entries with no rows) are not part of the union.
  const keep: number[] = []
  for (let k = 0; k < categories.length; k++) if (reference[k]! > 0 || current[k]! > 0) keep.push(k)
  if (keep.length === categories.length) return { categories, reference, current, referenceTotal, currentTotal }
  return {
    categories: keep.map((k) => categories[k]!),
    reference: Float64Array.from(keep, (k) => reference[k]!),
    current: Float64Array.from(keep, (k) => current[k]!),
    referenceTotal,
    currentTotal,
  }
}
