import { invalidParameter } from '../core/errors.js'
import type { Frame, Row } from '../core/frame.js'
import { FrequentItems, DEFAULT_FREQUENT_CAPACITY, type FrequentItem } from './sketches/frequent-items.js'
import { HyperLogLog, DEFAULT_HLL_P } from './sketches/hyperloglog.js'
import { KllSketch, DEFAULT_KLL_K } from './sketches/kll.js'
import type { ColumnKind, ColumnProfile, DatasetProfile } from './types.js'

/**
 * Mergeable data profiles in the manner of whylogs: per column exact counts (rows, missing, type mismatches),
 * exact min/max, mean and M2 (Welford within a chunk, Chan's parallel formula across chunks and merges), and
 * sketches for the rest: KLL quantiles (numeric), HyperLogLog distinct count, frequent items (categorical; numeric
 * columns too while they have at most `frequentCapacity` distinct values). Profiles are plain JSON and merge
 * associatively, so partitions, replicas and time windows can be profiled apart and combined later.
 *
 * Conventions: NaN / null / undefined / '' are missing. ±Infinity in a numeric column, a string in a numeric
 * column, or a number in a categorical one is a type mismatch: counted, not summarised. So the values that
 * were summarised number `count − missing − typeMismatches` (see `columnValueCount`).
 */

export interface ProfileOptions {
  /** KLL k (default 200: ≈1.65 % rank error). */
  kllK?: number
  /** HyperLogLog precision (default 12: ≈1.6 % error). */
  hllP?: number
  /** Frequent-items counters (default 128). */
  frequentCapacity?: number
  /** Seeds the KLL coin flips (default 0), so profiles are reproducible. */
  seed?: number
}

export interface ProfileColumnSpec {
  name: string
  kind: ColumnKind
}

interface ColumnState {
  readonly name: string
  readonly kind: ColumnKind
  count: number
  missing: number
  mismatches: number
  values: number
  min: number
  max: number
  mean: number
  m2: number
  readonly kll: KllSketch | undefined
  readonly hll: HyperLogLog
  readonly frequent: FrequentItems
}

export class ProfileBuilder {
  private readonly states: ColumnState[]
  private rows = 0
  private from: number | undefined
  private to: number | undefined

  constructor(columns: readonly ProfileColumnSpec[], options: ProfileOptions = {}) {
    const seen = new Set<string>()
    this.states = columns.map((c, i) => {
      if (seen.has(c.name)) throw invalidParameter(`Column '${c.name}' appears twice in the profile's columns; names must be unique.`)
      seen.add(c.name)
      if (c.kind !== 'numeric' && c.kind !== 'categorical') throw invalidParameter(`Column '${c.name}' has kind '${String(c.kind)}'; use 'numeric' or 'categorical'.`)
      return {
        name: c.name,
        kind: c.kind,
        count: 0,
        missing: 0,
        mismatches: 0,
        values: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
        mean: 0,
        m2: 0,
        kll: c.kind === 'numeric' ? new KllSketch({ k: options.kllK ?? DEFAULT_KLL_K, seed: ((options.seed ?? 0) + 7919 * i) >>> 0 }) : undefined,
        hll: new HyperLogLog({ p: options.hllP ?? DEFAULT_HLL_P }),
        frequent: new FrequentItems({ capacity: options.frequentCapacity ?? DEFAULT_FREQUENT_CAPACITY, exactOnly: c.kind === 'numeric' }),
      }
    })
  }

  /** Profiles every declared column of `frame`; a declared column the frame lacks counts as missing. */
  addFrame(frame: Frame): void {
    const rows = frame.rows
    for (const state of this.states) {
      state.count += rows
      if (!frame.has(state.name)) {
        state.missing += rows
        continue
      }
      const column = frame.column(state.name)
      if (column.kind === 'numeric') {
        if (state.kind === 'numeric') addNumbers(state, column.values)
        else countNumbersAsMismatches(state, column.values)
      } else {
        const counts = new Float64Array(column.categories.length)
        let missing = 0
        for (let i = 0; i < column.codes.length; i++) {
          const code = column.codes[i]!
          if (code < 0) missing++
          else counts[code]!++
        }
        state.missing += missing
        if (state.kind === 'numeric') {
          state.mismatches += rows - missing
          continue
        }
        // Each category once per chunk: HLL is idempotent and frequent items take weights.
        for (let c = 0; c < counts.length; c++) {
          const n = counts[c]!
          if (n === 0) continue
          const value = column.categories[c]!
          state.hll.addString(value)
          state.frequent.add(value, n)
          state.values += n
        }
      }
    }
    this.rows += rows
  }

  /** One JSON row (serving): numbers for numeric columns, strings for categorical ones. */
  addRow(row: Row): void {
    for (const state of this.states) {
      state.count++
      const v = row[state.name]
      if (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v))) {
        state.missing++
        continue
      }
      if (state.kind === 'numeric') {
        const x = typeof v === 'boolean' ? (v ? 1 : 0) : v
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          state.mismatches++
          continue
        }
        state.values++
        if (x < state.min) state.min = x
        if (x > state.max) state.max = x
        const delta = x - state.mean
        state.mean += delta / state.values
        state.m2 += delta * (x - state.mean)
        state.kll!.update(x)
        state.hll.addNumber(x)
        if (!state.frequent.overflowed) state.frequent.add(x)
      } else {
        if (typeof v !== 'string') {
          state.mismatches++
          continue
        }
        state.values++
        state.hll.addString(v)
        state.frequent.add(v)
      }
    }
    this.rows++
  }

  /** Widens the profile's [from, to] time range (epoch ms) to include `timestamp`. */
  observeTime(timestamp: number): void {
    if (this.from === undefined || timestamp < this.from) this.from = timestamp
    if (this.to === undefined || timestamp > this.to) this.to = timestamp
  }

  build(): DatasetProfile {
    const profile: DatasetProfile = { rows: this.rows, columns: this.states.map(columnProfile) }
    if (this.from !== undefined) profile.from = this.from
    if (this.to !== undefined) profile.to = this.to
    return profile
  }
}

/** The profile of one frame, its columns' kinds as the frame has them. */
export function profileFrame(frame: Frame, options: ProfileOptions = {}): DatasetProfile {
  const builder = new ProfileBuilder(profileColumns(frame), options)
  builder.addFrame(frame)
  return builder.build()
}

export function profileColumns(frame: Frame): ProfileColumnSpec[] {
  return frame.columns.map((c) => ({ name: c.name, kind: c.kind }))
}

/**
 * The profile of both inputs' rows. Columns are matched by name (a column only one side has counts the other
 * side's rows as missing); a column must have the same kind and sketch settings on both sides.
 */
export function mergeProfiles(a: DatasetProfile, b: DatasetProfile): DatasetProfile {
  const byName = new Map(b.columns.map((c) => [c.name, c]))
  const columns: ColumnProfile[] = a.columns.map((ca) => {
    const cb = byName.get(ca.name)
    byName.delete(ca.name)
    return cb === undefined ? withMissingRows(ca, b.rows) : mergeColumns(ca, cb)
  })
  for (const cb of byName.values()) columns.push(withMissingRows(cb, a.rows))
  const out: DatasetProfile = { rows: a.rows + b.rows, columns }
  const from = minDefined(a.from, b.from)
  const to = maxDefined(a.to, b.to)
  if (from !== undefined) out.from = from
  if (to !== undefined) out.to = to
  return out
}

/** Values summarised: rows minus missing minus type mismatches. */
export function columnValueCount(col: ColumnProfile): number {
  return col.count - col.missing - col.typeMismatches
}

/** Sample variance of the summarised values (NaN with fewer than two). */
export function columnVariance(col: ColumnProfile): number {
  const n = columnValueCount(col)
  return n < 2 ? Number.NaN : col.m2 / (n - 1)
}

/** Estimated values at normalized ranks `qs` (NaN for a categorical or empty column). */
export function columnQuantiles(col: ColumnProfile, qs: readonly number[]): number[] {
  if (col.quantiles === undefined) return qs.map(() => Number.NaN)
  return KllSketch.fromJSON(col.quantiles).quantiles(qs)
}

/** Frequent values with count bounds, most frequent first (empty when the column kept none). */
export function columnFrequent(col: ColumnProfile): FrequentItem[] {
  if (col.frequent === undefined) return []
  return FrequentItems.fromJSON(col.frequent).items()
}

/** Estimated number of distinct values. */
export function columnDistinct(col: ColumnProfile): number {
  if (col.distinct === undefined) return 0
  return HyperLogLog.fromJSON(col.distinct).estimate()
}

/**
 * A profile read back from JSON: JSON turned NaN into null, this turns it back (min/max/mean of a column
 * without values), and checks the shape so a corrupt file fails here with a clear message.
 */
export function parseProfile(doc: unknown, source = 'profile'): DatasetProfile {
  const p = doc as Partial<DatasetProfile> | null
  if (p === null || typeof p !== 'object' || typeof p.rows !== 'number' || !Array.isArray(p.columns)) {
    throw invalidParameter(`${source} is not a dataset profile ({rows, columns: [...]}).`)
  }
  const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN)
  const columns = p.columns.map((c: Partial<ColumnProfile>, i): ColumnProfile => {
    if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || (c.kind !== 'numeric' && c.kind !== 'categorical') || typeof c.count !== 'number') {
      throw invalidParameter(`${source}: column ${i} is not a column profile ({name, kind, count, ...}).`)
    }
    const out: ColumnProfile = {
      name: c.name,
      kind: c.kind,
      count: c.count,
      missing: num(c.missing),
      min: num(c.min),
      max: num(c.max),
      mean: num(c.mean),
      m2: num(c.m2),
      typeMismatches: num(c.typeMismatches),
    }
    if (c.quantiles !== undefined) out.quantiles = c.quantiles
    if (c.distinct !== undefined) out.distinct = c.distinct
    if (c.frequent !== undefined) out.frequent = c.frequent
    return out
  })
  const out: DatasetProfile = { rows: p.rows, columns }
  if (typeof p.from === 'number') out.from = p.from
  if (typeof p.to === 'number') out.to = p.to
  return out
}

function addNumbers(state: ColumnState, values: Float64Array): void {
  // Two passes over the chunk (sum, then squared deviations) are both faster and more accurate than Welford per
  // value; the chunk then joins the running moments through Chan's formula.
  let n = 0
  let sum = 0
  let min = state.min
  let max = state.max
  let missing = 0
  let mismatches = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v !== v) missing++
    else if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) mismatches++
    else {
      n++
      sum += v
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  state.missing += missing
  state.mismatches += mismatches
  if (n === 0) return
  const mean = sum / n
  let m2 = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean
    if (d === d && d !== Number.POSITIVE_INFINITY && d !== Number.NEGATIVE_INFINITY) m2 += d * d
  }
  combineMoments(state, n, mean, m2)
  state.min = min
  state.max = max
  state.kll!.updateMany(values)
  state.hll.addNumbers(values)
  const frequent = state.frequent
  for (let i = 0; i < values.length && !frequent.overflowed; i++) {
    const v = values[i]!
    if (Number.isFinite(v)) frequent.add(v)
  }
}

function countNumbersAsMismatches(state: ColumnState, values: Float64Array): void {
  let missing = 0
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) missing++
  state.missing += missing
  state.mismatches += values.length - missing
}

/** Chan et al.'s parallel update: (n, mean, M2) of the union of two disjoint sets. */
function combineMoments(state: { values: number; mean: number; m2: number }, n: number, mean: number, m2: number): void {
  const na = state.values
  if (n === 0) return
  if (na === 0) {
    state.values = n
    state.mean = mean
    state.m2 = m2
    return
  }
  const total = na + n
  const delta = mean - state.mean
  state.mean += (delta * n) / total
  state.m2 += m2 + (delta * delta * na * n) / total
  state.values = total
}

function columnProfile(state: ColumnState): ColumnProfile {
  const hasValues = state.kind === 'numeric' && state.values > 0
  const out: ColumnProfile = {
    name: state.name,
    kind: state.kind,
    count: state.count,
    missing: state.missing,
    min: hasValues ? state.min : Number.NaN,
    max: hasValues ? state.max : Number.NaN,
    mean: hasValues ? state.mean : Number.NaN,
    m2: hasValues ? state.m2 : 0,
    typeMismatches: state.mismatches,
    distinct: state.hll.toJSON(),
  }
  if (state.kll !== undefined) out.quantiles = state.kll.toJSON()
  if (!state.frequent.overflowed) out.frequent = state.frequent.toJSON()
  return out
}

function mergeColumns(a: ColumnProfile, b: ColumnProfile): ColumnProfile {
  if (a.kind !== b.kind) throw invalidParameter(`Column '${a.name}' is ${a.kind} in one profile and ${b.kind} in the other; profiles of different schemas do not merge.`)
  const moments = { values: columnValueCount(a), mean: a.mean, m2: a.m2 }
  const nb = columnValueCount(b)
  if (nb > 0) combineMoments(moments, nb, b.mean, b.m2)
  const hasValues = moments.values > 0
  const out: ColumnProfile = {
    name: a.name,
    kind: a.kind,
    count: a.count + b.count,
    missing: a.missing + b.missing,
    min: hasValues ? minNumber(a.min, b.min) : Number.NaN,
    max: hasValues ? maxNumber(a.max, b.max) : Number.NaN,
    mean: hasValues ? moments.mean : Number.NaN,
    m2: hasValues ? moments.m2 : 0,
    typeMismatches: a.typeMismatches + b.typeMismatches,
  }
  if (a.quantiles !== undefined && b.quantiles !== undefined) {
    const kll = KllSketch.fromJSON(a.quantiles)
    kll.merge(KllSketch.fromJSON(b.quantiles))
    out.quantiles = kll.toJSON()
  } else if (a.quantiles !== undefined || b.quantiles !== undefined) {
    out.quantiles = (a.quantiles ?? b.quantiles)!
  }
  if (a.distinct !== undefined && b.distinct !== undefined) {
    const hll = HyperLogLog.fromJSON(a.distinct)
    hll.merge(HyperLogLog.fromJSON(b.distinct))
    out.distinct = hll.toJSON()
  } else if (a.distinct !== undefined || b.distinct !== undefined) {
    out.distinct = (a.distinct ?? b.distinct)!
  }
  // A side without frequent items overflowed (numeric, too many distinct values): so does the union.
  if (a.frequent !== undefined && b.frequent !== undefined) {
    const frequent = FrequentItems.fromJSON(a.frequent)
    frequent.merge(FrequentItems.fromJSON(b.frequent))
    if (!frequent.overflowed) out.frequent = frequent.toJSON()
  }
  return out
}

function withMissingRows(col: ColumnProfile, rows: number): ColumnProfile {
  return { ...col, count: col.count + rows, missing: col.missing + rows }
}

function minNumber(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b)
}

function maxNumber(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b)
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b)
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b)
}
