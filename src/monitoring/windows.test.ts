import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import type { Page } from '../core/page.js'
import { tempDir } from '../../test/support/temp-dir.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from './prediction-store.js'
import { formatWindowSpec, parseWindowSpec, readWindows } from './windows.js'
import type { PredictionWindow } from './windows.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2025, 0, 1)
const COLUMNS = [
  { name: 'amount', kind: 'numeric' as const },
  { name: 'country', kind: 'categorical' as const },
  { name: 'prediction', kind: 'categorical' as const },
  { name: 'probability_1', kind: 'numeric' as const },
]

function record(i: number, timestamp: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: `p-${String(i).padStart(6, '0')}`,
    deployment: 'fraud',
    model: 'fraud',
    version: i % 2 === 0 ? '1' : '2',
    arm: 'champion',
    timestamp,
    inputs: { amount: i, country: i % 3 === 0 ? 'DE' : 'FR' },
    outputs: { prediction: i % 2 === 0 ? '1' : '0', probability_1: i / 1000 },
    ...overrides,
  }
}

async function collect(store: PredictionStore, options: Parameters<typeof readWindows>[1]): Promise<PredictionWindow[]> {
  const out: PredictionWindow[] = []
  for await (const w of readWindows(store, options)) out.push(w)
  return out
}

describe('parseWindowSpec', () => {
  it('reads durations and row counts, and rejects the rest with the accepted forms', () => {
    expect(parseWindowSpec('1h')).toEqual({ kind: 'time', size: HOUR })
    expect(parseWindowSpec('30m')).toEqual({ kind: 'time', size: 30 * 60_000 })
    expect(parseWindowSpec('5000rows')).toEqual({ kind: 'count', size: 5000 })
    expect(parseWindowSpec('250')).toEqual({ kind: 'count', size: 250 })
    expect(() => parseWindowSpec('0rows')).toThrow(/at least 1 row/)
    expect(() => parseWindowSpec('hourly')).toThrow(/duration \(30m, 1h, 1d\) or a row count \(5000rows\)/)
    expect(formatWindowSpec({ kind: 'time', size: 2 * HOUR })).toBe('2h')
    expect(formatWindowSpec({ kind: 'count', size: 20_000 })).toBe('20000rows')
  })
})

describe('readWindows over a SQLite prediction store', () => {
  let dir: ReturnType<typeof tempDir>
  let keel: Keel
  beforeEach(async () => {
    dir = tempDir('keel-windows-')
    keel = await Keel.open(`sqlite:${dir.path}/keel.db`)
  })
  afterEach(async () => {
    await keel.close()
    dir.remove()
  })

  it('cuts aligned time windows [k·size, (k+1)·size), skips empty ones, across page boundaries', async () => {
    const records: PredictionRecord[] = []
    // 30 rows in hour 0 (starting 10 min in), none in hour 1, 20 rows in hour 2.
    for (let i = 0; i < 30; i++) records.push(record(i, T0 + 10 * 60_000 + i * 1000))
    for (let i = 30; i < 50; i++) records.push(record(i, T0 + 2 * HOUR + i))
    records.push(record(99, T0 + 3 * HOUR, { model: 'other' }))
    await keel.predictions.appendPredictions(records)
    const windows = await collect(keel.predictions, { spec: { kind: 'time', size: HOUR }, query: { deployment: 'fraud', model: 'fraud' }, columns: COLUMNS, pageSize: 7 })
    expect(windows.map((w) => w.window)).toEqual([
      { index: 0, from: T0, to: T0 + HOUR, rows: 30 },
      { index: 1, from: T0 + 2 * HOUR, to: T0 + 3 * HOUR, rows: 20 },
    ])
    const first = windows[0]!
    expect(first.predictionIds).toHaveLength(30)
    expect(first.predictionIds[0]).toBe('p-000000')
    expect(Array.from(first.frame.numeric('amount'))).toEqual(Array.from({ length: 30 }, (_, i) => i))
    const country = first.frame.column('country')
    expect(country.kind).toBe('categorical')
    if (country.kind === 'categorical') expect(country.categories[country.codes[3]!]).toBe('DE')
    // Outputs come from the record's outputs: the class answered as a string, probabilities as numbers.
    expect(first.frame.column('prediction').kind).toBe('categorical')
    expect(first.frame.numeric('probability_1')[5]).toBeCloseTo(0.005, 12)
    expect(first.versions).toEqual(['1', '2'])
  })

  it('cuts count windows of N predictions in (timestamp, id) order and keeps or drops the partial tail', async () => {
    const records: PredictionRecord[] = []
    for (let i = 0; i < 25; i++) records.push(record(i, T0 + Math.floor(i / 2))) // ties on timestamp, ordered by id
    await keel.predictions.appendPredictions(records.reverse())
    const spec = { kind: 'count' as const, size: 10 }
    const kept = await collect(keel.predictions, { spec, query: { model: 'fraud' }, columns: COLUMNS, pageSize: 4 })
    expect(kept.map((w) => w.window.rows)).toEqual([10, 10, 5])
    expect(kept[0]!.window).toEqual({ index: 0, from: T0, to: T0 + 5, rows: 10 })
    expect(kept[1]!.predictionIds[0]).toBe('p-000010')
    expect(Array.from(kept[2]!.frame.numeric('amount'))).toEqual([20, 21, 22, 23, 24])
    const dropped = await collect(keel.predictions, { spec, query: { model: 'fraud' }, columns: COLUMNS, keepIncomplete: false })
    expect(dropped.map((w) => w.window.rows)).toEqual([10, 10])
    const limited = await collect(keel.predictions, { spec, query: { model: 'fraud' }, columns: COLUMNS, maxWindows: 1 })
    expect(limited).toHaveLength(1)
  })

  it('filters by version and time range, and counts type mismatches and unexpected columns', async () => {
    await keel.predictions.appendPredictions([
      record(0, T0, { inputs: { amount: 'lots', country: 'DE', extra: 1 } }),
      record(1, T0 + 1, { inputs: { amount: '12.5', country: null } }),
      record(2, T0 + 2, { inputs: { amount: null, country: 7 } }),
      record(4, T0 + 3),
      record(6, T0 + HOUR),
    ])
    const [w] = await collect(keel.predictions, { spec: { kind: 'count', size: 100 }, query: { model: 'fraud', version: '1', from: T0, to: T0 + HOUR }, columns: COLUMNS })
    expect(w!.window.rows).toBe(3) // versions 1 only (even ids), and the last is out of range
    expect(w!.typeMismatches).toEqual({ amount: 1 })
    expect(w!.unexpectedColumns).toEqual({ extra: 1 })
    const amount = w!.frame.numeric('amount')
    expect(Number.isNaN(amount[0]!)).toBe(true)
    expect(Number.isNaN(amount[1]!)).toBe(true)
    expect(amount[2]).toBe(4)
    const country = w!.frame.column('country')
    if (country.kind !== 'categorical') throw new Error('country should be categorical')
    expect(country.categories[country.codes[1]!]).toBe('7') // a number in a categorical column is its text
  })

  it('streams: it reads no page beyond the windows asked for', async () => {
    const records = Array.from({ length: 100 }, (_, i) => record(i, T0 + i))
    let pages = 0
    const store: PredictionStore = {
      appendPredictions: async () => {},
      countPredictions: async () => records.length,
      listPredictions: async (query: PredictionQuery): Promise<Page<PredictionRecord>> => {
        pages++
        const offset = query.pageToken === undefined ? 0 : Number(query.pageToken)
        const size = query.maxResults ?? 1000
        const items = records.slice(offset, offset + size)
        return offset + size < records.length ? { items, nextPageToken: String(offset + size) } : { items }
      },
    }
    const windows = await collect(store, { spec: { kind: 'count', size: 10 }, query: {}, columns: COLUMNS, pageSize: 10, maxWindows: 2 })
    expect(windows).toHaveLength(2)
    expect(pages).toBe(2)
  })
})
