import { invalidParameter } from '../core/errors.js'
import { Frame, MISSING_CODE } from '../core/frame.js'
import type { Column } from '../core/frame.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from './prediction-store.js'
import type { ColumnKind, MonitorWindow, WindowSpec } from './types.js'

/** Where a captured prediction's value lives: its outputs are `prediction` and `probability_<class>`. */
export function isOutputColumn(name: string): boolean {
  return name === 'prediction' || name.startsWith('probability_')
}

/** One cut of captured predictions, as columns (inputs and outputs side by side, named as in the reference). */
export interface PredictionWindow {
  window: MonitorWindow
  /** Every reference column, in the reference's order: numeric as float64 (NaN missing), categorical as codes. */
  frame: Frame
  /** Prediction ids in (timestamp, id) order, row i of `frame` is `predictionIds[i]`. */
  predictionIds: string[]
  /** Model versions that answered in this window, sorted. */
  versions: string[]
  /** Per column: values of the wrong kind (a non-numeric string in a numeric column), read as missing. */
  typeMismatches: Record<string, number>
  /** Per column the window had but the reference does not know: how many rows carried it. */
  unexpectedColumns: Record<string, number>
}

export interface ReadWindowsOptions {
  spec: WindowSpec
  /** Which predictions (deployment, model, version, arm); `from`/`to` bound the whole read. */
  query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>
  /** The columns to build, with their kinds (from the reference profile). */
  columns: ReadonlyArray<{ name: string; kind: ColumnKind }>
  /** Records per store page (default 5,000). */
  pageSize?: number
  /** Count windows: keep the last, partial window (default true; `watch` drops it and reads it next time). */
  keepIncomplete?: boolean
  /** Stop after this many windows (default unbounded); the read stops at once, pages after it are not read. */
  maxWindows?: number
}

const DEFAULT_PAGE_SIZE = 5000
/** A guard against a store that keeps handing out page tokens. */
const MAX_PAGES = 10_000_000

/** `1h`, `30m`, `15s`, `2d`, `1w` → a time window; `5000rows` or `5000` → a count window. */
export function parseWindowSpec(text: string): WindowSpec {
  const value = text.trim()
  const rows = /^(\d+)\s*(rows?)?$/.exec(value)
  if (rows !== null) {
    const size = Number(rows[1])
    if (!Number.isSafeInteger(size) || size < 1) throw invalidParameter(`Window '${text}' must hold at least 1 row.`)
    return { kind: 'count', size }
  }
  const time = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(value)
  if (time !== null) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[time[2] as 'ms']
    const size = Math.round(Number(time[1]) * unit)
    if (size < 1) throw invalidParameter(`Window '${text}' must be at least 1 ms long.`)
    return { kind: 'time', size }
  }
  throw invalidParameter(`Invalid window '${text}': use a duration (30m, 1h, 1d) or a row count (5000rows).`)
}

export function formatWindowSpec(spec: WindowSpec): string {
  if (spec.kind === 'count') return `${spec.size}rows`
  for (const [unit, ms] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (spec.size % ms === 0) return `${spec.size / ms}${unit}`
  }
  return `${spec.size}ms`
}

/**
 * Cuts captured predictions into windows and yields each as a Frame, reading the store page by page: only the
 * window being filled is held (plus one page), so a month of traffic streams through in bounded memory.
 * Time windows are aligned to their size ([k·size, (k+1)·size)), empty ones are skipped; count windows take
 * every `size` predictions in (timestamp, id) order, `from`/`to` then span their first and last timestamps.
 */
export async function* readWindows(store: PredictionStore, options: ReadWindowsOptions): AsyncGenerator<PredictionWindow> {
  const { spec } = options
  if (!Number.isFinite(spec.size) || spec.size < 1) throw invalidParameter(`window.size must be ≥ 1; got ${spec.size}.`)
  const maxWindows = options.maxWindows ?? Number.POSITIVE_INFINITY
  let builder = new WindowBuilder(options.columns)
  let index = 0
  let windowStart = Number.NaN
  let token: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const query: PredictionQuery = { ...options.query, maxResults: options.pageSize ?? DEFAULT_PAGE_SIZE }
    if (token !== undefined) query.pageToken = token
    const result = await store.listPredictions(query)
    for (const record of result.items) {
      if (spec.kind === 'time') {
        const start = Math.floor(record.timestamp / spec.size) * spec.size
        if (builder.rows > 0 && start !== windowStart) {
          yield builder.build({ index: index++, from: windowStart, to: windowStart + spec.size, rows: builder.rows })
          if (index >= maxWindows) return
          builder = new WindowBuilder(options.columns)
        }
        windowStart = start
        builder.add(record)
      } else {
        builder.add(record)
        if (builder.rows === spec.size) {
          yield builder.build({ index: index++, from: builder.firstTimestamp, to: builder.lastTimestamp + 1, rows: builder.rows })
          if (index >= maxWindows) return
          builder = new WindowBuilder(options.columns)
        }
      }
    }
    token = result.nextPageToken
    if (token === undefined || token === '') break
  }
  if (builder.rows === 0) return
  if (spec.kind === 'time') {
    yield builder.build({ index, from: windowStart, to: windowStart + spec.size, rows: builder.rows })
  } else if (options.keepIncomplete !== false) {
    yield builder.build({ index, from: builder.firstTimestamp, to: builder.lastTimestamp + 1, rows: builder.rows })
  }
}

/** Growable typed columns for one window: no per-row objects beyond the prediction id. */
class WindowBuilder {
  rows = 0
  firstTimestamp = Number.NaN
  lastTimestamp = Number.NaN
  private readonly ids: string[] = []
  private readonly versions = new Set<string>()
  private readonly columns: ColumnBuffer[]
  private readonly known: Set<string>
  private readonly mismatches: Record<string, number> = {}
  private readonly unexpected: Record<string, number> = {}

  constructor(columns: ReadonlyArray<{ name: string; kind: ColumnKind }>) {
    this.columns = columns.map((c) => new ColumnBuffer(c.name, c.kind))
    this.known = new Set(columns.map((c) => c.name))
  }

  add(record: PredictionRecord): void {
    if (this.rows === 0) this.firstTimestamp = record.timestamp
    this.lastTimestamp = record.timestamp
    this.ids.push(record.id)
    this.versions.add(record.version)
    for (const column of this.columns) {
      const source = isOutputColumn(column.name) ? record.outputs : record.inputs
      if (!column.push(source[column.name], this.rows)) this.mismatches[column.name] = (this.mismatches[column.name] ?? 0) + 1
    }
    for (const name in record.inputs) if (!this.known.has(name)) this.unexpected[name] = (this.unexpected[name] ?? 0) + 1
    this.rows++
  }

  build(window: MonitorWindow): PredictionWindow {
    return {
      window,
      frame: new Frame(this.columns.map((c) => c.finish(this.rows))),
      predictionIds: this.ids,
      versions: [...this.versions].sort(),
      typeMismatches: this.mismatches,
      unexpectedColumns: this.unexpected,
    }
  }
}

class ColumnBuffer {
  private values: Float64Array | Int32Array
  private readonly categories: string[] = []
  private readonly codes = new Map<string, number>()

  constructor(
    readonly name: string,
    readonly kind: ColumnKind,
  ) {
    this.values = kind === 'numeric' ? new Float64Array(1024) : new Int32Array(1024)
  }

  /** Stores the cell at `row`; false when its type did not fit the column (stored as missing). */
  push(value: number | string | null | undefined, row: number): boolean {
    if (row === this.values.length) this.grow()
    if (this.kind === 'numeric') {
      const out = this.values as Float64Array
      if (value === null || value === undefined) out[row] = Number.NaN
      else if (typeof value === 'number') out[row] = value
      else {
        // Classifiers answer their class as a string ('1'); a numeric string is the number, anything else a mismatch.
        const n = value.trim() === '' ? Number.NaN : Number(value)
        out[row] = n
        return value.trim() === '' || Number.isFinite(n)
      }
      return true
    }
    const out = this.values as Int32Array
    if (value === null || value === undefined || value === '') {
      out[row] = MISSING_CODE
      return true
    }
    const text = String(value)
    let code = this.codes.get(text)
    if (code === undefined) {
      code = this.categories.length
      this.codes.set(text, code)
      this.categories.push(text)
    }
    out[row] = code
    return true
  }

  finish(rows: number): Column {
    if (this.kind === 'numeric') {
      return { kind: 'numeric', name: this.name, dtype: 'float', values: (this.values as Float64Array).slice(0, rows) }
    }
    return { kind: 'categorical', name: this.name, codes: (this.values as Int32Array).slice(0, rows), categories: this.categories }
  }

  private grow(): void {
    if (this.values instanceof Float64Array) {
      const next = new Float64Array(this.values.length * 2)
      next.set(this.values)
      this.values = next
    } else {
      const next = new Int32Array(this.values.length * 2)
      next.set(this.values)
      this.values = next
    }
  }
}
