import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Page } from '../../src/core/page.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from '../../src/monitoring/prediction-store.js'
import { expectKeelError } from './tracking-store.contract.js'

export interface PredictionStoreHarness {
  store: PredictionStore
  close(): Promise<void>
}

const T0 = 1_700_000_000_000

/** A prediction with a distinct id; fields overridable. */
export function prediction(i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: `p-${String(i).padStart(6, '0')}`,
    deployment: 'fraud',
    model: 'fraud',
    version: '1',
    arm: 'champion',
    timestamp: T0 + i,
    inputs: { age: 30 + (i % 50), amount: i * 1.25, country: i % 2 === 0 ? 'DE' : 'FR', missing: null },
    outputs: { prediction: i % 2, probability_0: 0.25, probability_1: 0.75 },
    ...extra,
  }
}

async function allPages(store: PredictionStore, query: PredictionQuery): Promise<{ items: PredictionRecord[]; pages: number }> {
  const items: PredictionRecord[] = []
  let token: string | undefined
  for (let pages = 1; pages <= 10_000; pages++) {
    const page: Page<PredictionRecord> = await store.listPredictions(token === undefined ? query : { ...query, pageToken: token })
    items.push(...page.items)
    if (page.nextPageToken === undefined) return { items, pages }
    token = page.nextPageToken
  }
  throw new Error('paging did not end after 10,000 pages')
}

const byTsId = (a: PredictionRecord, b: PredictionRecord): number =>
  a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * What every `PredictionStore` adapter must do (SQLite, PostgreSQL, HTTP): round-trip records exactly, ignore
 * ids already stored, write a batch all or nothing, filter, count, and page by (timestamp, id) without
 * losing or repeating a record across ties.
 */
export function describePredictionStore(label: string, makeStore: () => Promise<PredictionStoreHarness>): void {
  describe(`PredictionStore contract (${label})`, () => {
    let harness: PredictionStoreHarness
    let store: PredictionStore

    beforeEach(async () => {
      harness = await makeStore()
      store = harness.store
    })
    afterEach(async () => {
      await harness.close()
    })

    it('stores a batch and reads it back exactly, in (timestamp, id) order', async () => {
      const records = [prediction(3), prediction(1), prediction(2, { arm: 'shadow', version: '2', outputs: { prediction: 'yes' } })]
      await store.appendPredictions(records)
      const page = await store.listPredictions({})
      expect(page.items).toEqual([...records].sort(byTsId))
      expect(page.nextPageToken).toBeUndefined()
      expect(await store.countPredictions({})).toBe(3)
    })

    it('accepts an empty batch', async () => {
      await store.appendPredictions([])
      expect(await store.countPredictions({})).toBe(0)
      expect((await store.listPredictions({})).items).toEqual([])
    })

    it('ignores ids already stored, so a retried batch stores nothing twice', async () => {
      const batch = Array.from({ length: 50 }, (_, i) => prediction(i))
      await store.appendPredictions(batch)
      // The retry overlaps the first batch and carries a changed copy of one record: the first write wins.
      const retry = [...batch.slice(25), prediction(7, { outputs: { prediction: 99 } }), prediction(50)]
      await store.appendPredictions(retry)
      expect(await store.countPredictions({})).toBe(51)
      const all = (await allPages(store, { maxResults: 1000 })).items
      expect(new Set(all.map((p) => p.id)).size).toBe(51)
      expect(all.find((p) => p.id === prediction(7).id)?.outputs).toEqual(prediction(7).outputs)
    })

    it('ignores a duplicate id inside one batch', async () => {
      await store.appendPredictions([prediction(1), prediction(1, { version: '9' }), prediction(2)])
      const items = (await store.listPredictions({})).items
      expect(items.map((p) => p.id)).toEqual([prediction(1).id, prediction(2).id])
    })

    it('writes a batch all or nothing: one invalid record stores none of it', async () => {
      const bad = { ...prediction(5), arm: 'sideways' } as unknown as PredictionRecord
      await expectKeelError(store.appendPredictions([prediction(4), bad, prediction(6)]), 'INVALID_PARAMETER_VALUE')
      const noId = { ...prediction(8), id: '' }
      await expectKeelError(store.appendPredictions([prediction(7), noId]), 'INVALID_PARAMETER_VALUE')
      expect(await store.countPredictions({})).toBe(0)
    })

    it('stores a large batch whole (every statement shape) and pages through it with ties on timestamp', async () => {
      // 2,345 records over 100 distinct timestamps: many ties, so the id half of the keyset matters.
      const records = Array.from({ length: 2_345 }, (_, i) => prediction(i, { timestamp: T0 + (i % 100) }))
      await store.appendPredictions(records)
      expect(await store.countPredictions({})).toBe(2_345)
      const { items, pages } = await allPages(store, { maxResults: 97 })
      expect(pages).toBe(Math.ceil(2_345 / 97))
      expect(items.map((p) => p.id)).toEqual([...records].sort(byTsId).map((p) => p.id))
    })

    it('filters by deployment, model, version, arm and a [from, to) window, in lists and counts alike', async () => {
      const records = [
        ...Array.from({ length: 10 }, (_, i) => prediction(i)),
        ...Array.from({ length: 6 }, (_, i) => prediction(100 + i, { version: '2', arm: 'challenger' })),
        ...Array.from({ length: 4 }, (_, i) => prediction(200 + i, { deployment: 'churn', model: 'churn' })),
        ...Array.from({ length: 3 }, (_, i) => prediction(300 + i, { version: '2', arm: 'shadow' })),
      ]
      await store.appendPredictions(records)
      const cases: Array<[Omit<PredictionQuery, 'maxResults' | 'pageToken'>, (p: PredictionRecord) => boolean]> = [
        [{ deployment: 'fraud' }, (p) => p.deployment === 'fraud'],
        [{ deployment: 'churn' }, (p) => p.deployment === 'churn'],
        [{ model: 'fraud', version: '2' }, (p) => p.model === 'fraud' && p.version === '2'],
        [{ deployment: 'fraud', arm: 'shadow' }, (p) => p.arm === 'shadow'],
        [{ from: T0 + 5, to: T0 + 102 }, (p) => p.timestamp >= T0 + 5 && p.timestamp < T0 + 102],
        [{ deployment: 'fraud', model: 'fraud', version: '1', from: T0 + 9 }, (p) => p.deployment === 'fraud' && p.version === '1' && p.timestamp >= T0 + 9],
        [{ deployment: 'nobody' }, () => false],
        [{ from: T0 + 50, to: T0 + 50 }, () => false],
      ]
      for (const [query, keep] of cases) {
        const expected = records.filter(keep).sort(byTsId).map((p) => p.id)
        const label = JSON.stringify(query)
        expect((await allPages(store, { ...query, maxResults: 4 })).items.map((p) => p.id), label).toEqual(expected)
        expect(await store.countPredictions(query), label).toBe(expected.length)
      }
    })

    it('refuses bad page sizes, page tokens and windows, naming the parameter', async () => {
      await store.appendPredictions([prediction(1)])
      for (const maxResults of [0, -1, 1.5, 50_001]) {
        const error = await expectKeelError(store.listPredictions({ maxResults }), 'INVALID_PARAMETER_VALUE')
        expect(error.message).toContain('max_results')
      }
      const token = await expectKeelError(store.listPredictions({ pageToken: 'not-a-token' }), 'INVALID_PARAMETER_VALUE')
      expect(token.message.toLowerCase()).toContain('token')
      const wrongShape = Buffer.from(JSON.stringify({ offset: 3 })).toString('base64url')
      await expectKeelError(store.listPredictions({ pageToken: wrongShape }), 'INVALID_PARAMETER_VALUE')
      const window = await expectKeelError(store.countPredictions({ from: T0 + 10, to: T0 }), 'INVALID_PARAMETER_VALUE')
      expect(window.message).toContain("'from'")
    })

    it('pages forwards while new predictions keep arriving after the cursor', async () => {
      await store.appendPredictions(Array.from({ length: 10 }, (_, i) => prediction(i)))
      const first = await store.listPredictions({ maxResults: 6 })
      expect(first.items).toHaveLength(6)
      await store.appendPredictions([prediction(100), prediction(2, { id: 'p-late-but-old' })])
      const rest = await allPages(store, { maxResults: 6, ...(first.nextPageToken === undefined ? {} : { pageToken: first.nextPageToken }) })
      // The new record after the cursor is seen; the one that sorts before it is not, and nothing repeats.
      expect(rest.items.map((p) => p.id)).toEqual([6, 7, 8, 9, 100].map((i) => prediction(i).id))
    })
  })
}
