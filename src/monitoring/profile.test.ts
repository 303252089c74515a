import { describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import {
  columnDistinct,
  columnFrequent,
  columnQuantiles,
  columnValueCount,
  columnVariance,
  mergeProfiles,
  parseProfile,
  ProfileBuilder,
  profileColumns,
  profileFrame,
} from './profile.js'
import { hllStandardError } from './sketches/hyperloglog.js'
import { kllRankError } from './sketches/kll.js'
import { maxRankError } from './sketches/rank-error.test-support.js'
import type { ColumnProfile, DatasetProfile } from './types.js'

const CITIES = Array.from({ length: 400 }, (_, i) => `city-${i}`)

/** Rows with a normal column (some missing, some ±Infinity), a low-cardinality integer column, a wide id column and a skewed category. */
function makeFrame(rows: number, seed: number, shift = 0): Frame {
  const random = createRandom(seed)
  const amount = new Float64Array(rows)
  const kids = new Float64Array(rows)
  const id = new Float64Array(rows)
  const city: Array<string | null> = []
  for (let i = 0; i < rows; i++) {
    const u = random.next()
    amount[i] = u < 0.05 ? Number.NaN : u < 0.06 ? Number.POSITIVE_INFINITY : 100 + 15 * random.normal() + shift
    kids[i] = random.int(4)
    id[i] = seed * 1e7 + i
    const c = Math.floor(CITIES.length * random.next() ** 3)
    city.push(random.next() < 0.02 ? null : CITIES[c]!)
  }
  return new Frame([numericColumn('amount', amount), numericColumn('kids', kids, 'int'), numericColumn('id', id), categoricalColumn('city', city)])
}

function concat(frames: readonly Frame[]): Frame {
  const first = frames[0]!
  return new Frame(
    first.columns.map((c) => {
      if (c.kind === 'numeric') {
        const parts = frames.map((f) => f.numeric(c.name))
        const values = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
        let o = 0
        for (const p of parts) {
          values.set(p, o)
          o += p.length
        }
        return numericColumn(c.name, values, c.dtype)
      }
      return categoricalColumn(c.name, frames.flatMap((f) => f.toRecords().map((r) => r[c.name] as string | null)))
    }),
  )
}

function col(profile: DatasetProfile, name: string): ColumnProfile {
  const found = profile.columns.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no column ${name}`)
  return found
}

function finiteValues(frame: Frame, name: string): Float64Array {
  return frame.numeric(name).filter((v) => Number.isFinite(v))
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300)
}

/** Checks a profile of `union` (built any way) against the exact truth of `union`. */
function expectProfileOf(profile: DatasetProfile, union: Frame): void {
  expect(profile.rows).toBe(union.rows)
  for (const name of ['amount', 'kids', 'id']) {
    const c = col(profile, name)
    const all = union.numeric(name)
    const values = finiteValues(union, name)
    expect(c.count).toBe(union.rows)
    expect(c.missing).toBe(all.filter((v) => Number.isNaN(v)).length)
    expect(c.typeMismatches).toBe(all.filter((v) => v === Infinity || v === -Infinity).length)
    expect(columnValueCount(c)).toBe(values.length)
    let min = Infinity
    let max = -Infinity
    let sum = 0
    for (const v of values) {
      min = Math.min(min, v)
      max = Math.max(max, v)
      sum += v
    }
    const mean = sum / values.length
    let m2 = 0
    for (const v of values) m2 += (v - mean) ** 2
    expect(c.min).toBe(min)
    expect(c.max).toBe(max)
    expect(relative(c.mean, mean)).toBeLessThan(1e-9)
    expect(relative(c.m2, m2)).toBeLessThan(1e-9)
    expect(relative(columnVariance(c), m2 / (values.length - 1))).toBeLessThan(1e-9)
    expect(maxRankError({ quantile: (q) => columnQuantiles(c, [q])[0]! }, values)).toBeLessThan(kllRankError(200))
    const distinct = new Set(values).size
    expect(Math.abs(columnDistinct(c) - distinct) / distinct).toBeLessThan(3 * hllStandardError(12))
  }
  // Few distinct values: exact frequent counts. Many: none kept (overflowed).
  const kids = columnFrequent(col(profile, 'kids'))
  expect(kids.map((k) => k.value).sort()).toEqual([0, 1, 2, 3])
  for (const k of kids) expect(k.count).toBe(union.numeric('kids').filter((v) => v === k.value).length)
  expect(col(profile, 'id').frequent).toBeUndefined()
  expect(col(profile, 'amount').frequent).toBeUndefined()

  const city = col(profile, 'city')
  const cityColumn = union.column('city')
  if (cityColumn.kind !== 'categorical') throw new Error('city')
  const truth = new Map<string, number>()
  let missing = 0
  for (const code of cityColumn.codes) {
    if (code < 0) missing++
    else truth.set(cityColumn.categories[code]!, (truth.get(cityColumn.categories[code]!) ?? 0) + 1)
  }
  expect(city.count).toBe(union.rows)
  expect(city.missing).toBe(missing)
  expect(city.typeMismatches).toBe(0)
  expect(Number.isNaN(city.mean)).toBe(true)
  expect(city.quantiles).toBeUndefined()
  expect(Math.abs(columnDistinct(city) - truth.size) / truth.size).toBeLessThan(3 * hllStandardError(12))
  const frequent = columnFrequent(city)
  expect(frequent.length).toBeGreaterThan(10)
  const bound = new Map(frequent.map((f) => [f.value, f]))
  const offset = frequent.length === 0 ? 0 : frequent[0]!.upperBound - frequent[0]!.count
  for (const [value, count] of truth) {
    const f = bound.get(value)
    const lower = f?.count ?? 0
    const upper = f?.upperBound ?? offset
    expect(lower).toBeLessThanOrEqual(count)
    expect(upper).toBeGreaterThanOrEqual(count)
  }
  expect(frequent[0]!.value).toBe('city-0')
}

describe('profiles', () => {
  it('merge(profile(A), profile(B)) matches profile(A ∪ B) within the sketches’ errors', () => {
    const a = makeFrame(60_000, 1)
    const b = makeFrame(40_000, 2, 30)
    const union = concat([a, b])
    const merged = mergeProfiles(profileFrame(a), profileFrame(b))
    const direct = profileFrame(union)
    expectProfileOf(merged, union)
    expectProfileOf(direct, union)
    // Exact fields agree exactly between the two ways.
    for (const c of direct.columns) {
      const m = col(merged, c.name)
      expect([m.count, m.missing, m.typeMismatches, m.min, m.max]).toEqual([c.count, c.missing, c.typeMismatches, c.min, c.max])
    }
    expect(columnFrequent(col(merged, 'kids'))).toEqual(columnFrequent(col(direct, 'kids')))
  })

  it('merging 10 partitions (in a tree) stays within the bounds of one pass', () => {
    const parts = Array.from({ length: 10 }, (_, i) => makeFrame(10_000, 10 + i, i * 3))
    const union = concat(parts)
    const profiles = parts.map((p) => profileFrame(p, { seed: 3 }))
    // ((p0 p1) (p2 p3)) … : a different association from the left fold below.
    let level = profiles
    while (level.length > 1) {
      const next: DatasetProfile[] = []
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? mergeProfiles(level[i]!, level[i + 1]!) : level[i]!)
      level = next
    }
    expectProfileOf(level[0]!, union)
    expectProfileOf(profiles.reduce((x, y) => mergeProfiles(x, y)), union)
    const streamed = new ProfileBuilder(profileColumns(union))
    for (const p of parts) streamed.addFrame(p)
    expectProfileOf(streamed.build(), union)
  })

  it('addRow gives the same exact fields as addFrame, and counts type mismatches', () => {
    const frame = makeFrame(3000, 5)
    const byRow = new ProfileBuilder(profileColumns(frame))
    for (const record of frame.toRecords()) byRow.addRow(record)
    byRow.addRow({ amount: 'abc', kids: 2, id: 1, city: 7 })
    byRow.addRow({ amount: Infinity, kids: true, id: null, city: '' })
    const rows = byRow.build()
    const direct = profileFrame(frame)
    const amount = col(rows, 'amount')
    // toRecords turns ±Infinity into… itself (a number), so it is a mismatch both ways; NaN became null.
    expect(amount.count).toBe(col(direct, 'amount').count + 2)
    expect(amount.typeMismatches).toBe(col(direct, 'amount').typeMismatches + 2)
    expect(amount.missing).toBe(col(direct, 'amount').missing)
    expect(relative(amount.mean, col(direct, 'amount').mean)).toBeLessThan(1e-9)
    expect(relative(amount.m2, col(direct, 'amount').m2)).toBeLessThan(1e-9)
    expect(col(rows, 'city').typeMismatches).toBe(1)
    expect(col(rows, 'city').missing).toBe(col(direct, 'city').missing + 1)
    expect(col(rows, 'id').missing).toBe(1)
    expect(col(rows, 'kids').max).toBe(3)
  })

  it('counts a column of the wrong kind as type mismatches and an absent column as missing', () => {
    const builder = new ProfileBuilder([
      { name: 'amount', kind: 'numeric' },
      { name: 'city', kind: 'categorical' },
      { name: 'gone', kind: 'numeric' },
    ])
    builder.addFrame(new Frame([categoricalColumn('amount', ['1', null, 'x']), numericColumn('city', [1, Number.NaN, 3])]))
    const p = builder.build()
    expect(col(p, 'amount')).toMatchObject({ count: 3, missing: 1, typeMismatches: 2 })
    expect(col(p, 'city')).toMatchObject({ count: 3, missing: 1, typeMismatches: 2 })
    expect(col(p, 'gone')).toMatchObject({ count: 3, missing: 3, typeMismatches: 0 })
    expect(Number.isNaN(col(p, 'gone').min)).toBe(true)
    expect(columnQuantiles(col(p, 'gone'), [0.5])[0]).toBeNaN()
  })

  it('merges profiles with different columns (the missing side counts as missing) and refuses different kinds', () => {
    const a = profileFrame(new Frame([numericColumn('x', [1, 2, 3])]))
    const b = profileFrame(new Frame([numericColumn('x', [4]), categoricalColumn('y', ['u'])]))
    const m = mergeProfiles({ ...a, from: 10, to: 20 }, { ...b, from: 5 })
    expect(m.rows).toBe(4)
    expect(col(m, 'y')).toMatchObject({ count: 4, missing: 3 })
    expect(col(m, 'x')).toMatchObject({ count: 4, min: 1, max: 4, mean: 2.5 })
    expect([m.from, m.to]).toEqual([5, 20])
    const c = profileFrame(new Frame([categoricalColumn('x', ['a'])]))
    expect(() => mergeProfiles(a, c)).toThrow(/numeric in one profile and categorical/)
  })

  it('round-trips through JSON (NaN fields come back as NaN) and rejects non-profiles', () => {
    const p = profileFrame(new Frame([numericColumn('x', [Number.NaN, Number.NaN]), categoricalColumn('c', ['a', 'b'])]))
    const back = parseProfile(JSON.parse(JSON.stringify(p)))
    expect(back).toEqual(p)
    expect(Number.isNaN(col(back, 'x').min)).toBe(true)
    expect(() => parseProfile({ rows: 1 })).toThrow(/not a dataset profile/)
    expect(() => parseProfile({ rows: 1, columns: [{ name: 'x' }] })).toThrow(/column 0/)
  })

  // The ≥ 5 M values/s goal is measured by bench/profile on a quiet machine; under a loaded CI box this only
  // guards against an order-of-magnitude regression (a per-value allocation, an accidental quadratic step).
  it('profiles a 30-column numeric frame fast (rate reported)', () => {
    const rows = 100_000
    const random = createRandom(8)
    const columns = Array.from({ length: 30 }, (_, j) => {
      const values = new Float64Array(rows)
      for (let i = 0; i < rows; i++) values[i] = j + random.normal()
      return numericColumn(`f${j}`, values)
    })
    const frame = new Frame(columns)
    profileFrame(frame) // warm-up (JIT)
    const started = process.hrtime.bigint()
    const builder = new ProfileBuilder(profileColumns(frame))
    for (let r = 0; r < 3; r++) builder.addFrame(frame)
    builder.build()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const rate = (3 * rows * 30) / seconds
    console.log(`profile: 30 numeric columns, ${(rate / 1e6).toFixed(1)} M values/s single-threaded`)
    expect(rate).toBeGreaterThan(1e6)
  })
})
