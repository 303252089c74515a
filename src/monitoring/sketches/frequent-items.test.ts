import { describe, expect, it } from 'vitest'
import { createRandom } from '../../core/random.js'
import { FrequentItems } from './frequent-items.js'

/** A skewed stream: item i with probability ∝ 1/(i+1) over 5,000 items (Zipf s = 1). */
function zipfStream(n: number, seed: number): string[] {
  const random = createRandom(seed)
  const items = 5000
  const cdf = new Float64Array(items)
  let sum = 0
  for (let i = 0; i < items; i++) cdf[i] = sum += 1 / (i + 1)
  const out: string[] = []
  for (let r = 0; r < n; r++) {
    const u = random.next() * sum
    let lo = 0
    let hi = items - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! >= u) hi = mid
      else lo = mid + 1
    }
    out.push(`item-${lo}`)
  }
  return out
}

function truth(stream: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const s of stream) counts.set(s, (counts.get(s) ?? 0) + 1)
  return counts
}

function expectWithinBounds(sketch: FrequentItems, counts: Map<string, number>): void {
  for (const [value, count] of counts) {
    const e = sketch.estimate(value)
    expect(e.count).toBeLessThanOrEqual(count)
    expect(e.upperBound).toBeGreaterThanOrEqual(count)
  }
  expect(sketch.offset).toBeLessThanOrEqual((2 * sketch.n) / sketch.capacity)
}

describe('frequent items (Misra–Gries)', () => {
  it('counts exactly while items fit', () => {
    const sketch = new FrequentItems({ capacity: 4 })
    for (const v of ['a', 'b', 'a', 'c', 'a', 'b']) sketch.add(v)
    expect(sketch.items()).toEqual([
      { value: 'a', count: 3, upperBound: 3 },
      { value: 'b', count: 2, upperBound: 2 },
      { value: 'c', count: 1, upperBound: 1 },
    ])
    expect(sketch.offset).toBe(0)
  })

  it('keeps every count within [estimate, estimate + offset] on a skewed stream', () => {
    const stream = zipfStream(100_000, 1)
    const sketch = new FrequentItems()
    for (const s of stream) sketch.add(s)
    const counts = truth(stream)
    expectWithinBounds(sketch, counts)
    expect(sketch.offset).toBeGreaterThan(0)
    // The heaviest items are found, with no false positives above the offset.
    const top = sketch.items({ noFalsePositives: true }).slice(0, 3).map((i) => i.value)
    expect(top).toEqual(['item-0', 'item-1', 'item-2'])
  })

  it('merged partitions keep the bounds of the union', () => {
    const stream = zipfStream(100_000, 2)
    const merged = new FrequentItems()
    for (let p = 0; p < 10; p++) {
      const part = new FrequentItems()
      for (const s of stream.slice(p * 10_000, (p + 1) * 10_000)) part.add(s)
      merged.merge(part)
    }
    expect(merged.n).toBe(100_000)
    expectWithinBounds(merged, truth(stream))
    const copy = FrequentItems.fromJSON(JSON.parse(JSON.stringify(merged.toJSON())))
    expect(copy.items()).toEqual(merged.items())
    expect(copy.offset).toBe(merged.offset)
  })

  it('exactOnly sketches overflow instead of purging, also through merge', () => {
    const a = new FrequentItems({ capacity: 3, exactOnly: true })
    for (const v of [1, 2, 2, 3]) a.add(v)
    expect(a.overflowed).toBe(false)
    const b = new FrequentItems({ capacity: 3, exactOnly: true })
    b.add(4)
    a.merge(b)
    expect(a.overflowed).toBe(true)
    expect(a.items()).toEqual([])
    expect(a.n).toBe(5)
  })
})
