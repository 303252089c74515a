import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Page } from '../../src/core/page.js'
import type { FeedbackQuery, MonitoringStore } from '../../src/monitoring/monitoring-store.js'
import type { PredictionRecord, PredictionStore } from '../../src/monitoring/prediction-store.js'
import type { Alert, FeedbackRecord } from '../../src/monitoring/types.js'
import { expectKeelError } from './tracking-store.contract.js'

export interface MonitoringStoreHarness {
  store: MonitoringStore
  /** Where the labelled predictions are stored first (same database as `store`). */
  predictions: PredictionStore
  close(): Promise<void>
}

/** The time every harness stamps feedback with (the HTTP server's clock is set to it). */
export const RECEIVED_AT = 1_700_000_500_000
const T0 = 1_700_000_000_000

/** A fraud-style classifier prediction (classes "0" and "1"). */
function classified(i: number): PredictionRecord {
  return {
    id: `c-${String(i).padStart(6, '0')}`,
    deployment: 'fraud',
    model: 'fraud',
    version: '1',
    arm: 'champion',
    timestamp: T0 + i,
    inputs: { amount: i },
    outputs: { prediction: i % 2 === 0 ? '0' : '1', probability_0: 0.6, probability_1: 0.4 },
  }
}

/** A regressor's prediction (numeric `prediction`, no probabilities). */
function regressed(i: number): PredictionRecord {
  return { ...classified(i), id: `r-${String(i).padStart(6, '0')}`, deployment: 'price', model: 'price', outputs: { prediction: 10.5 + i } }
}

const label = (predictionId: string, outcome: number | string): FeedbackRecord => ({ predictionId, outcome, receivedAt: RECEIVED_AT })

function alert(i: number, extra: Partial<Alert> = {}): Alert {
  return {
    id: `a-${String(i).padStart(4, '0')}`,
    rule: 'drift',
    model: 'fraud',
    version: '1',
    metric: 'drift.share',
    value: 0.5 + i / 100,
    threshold: 0.5,
    severity: 'warning',
    window: { index: i, from: T0 + i * 1000, to: T0 + (i + 1) * 1000, rows: 100 },
    firedAt: T0 + i * 1000,
    ...extra,
  }
}

async function allFeedback(store: MonitoringStore, query: FeedbackQuery): Promise<{ items: FeedbackRecord[]; pages: number }> {
  const items: FeedbackRecord[] = []
  let token: string | undefined
  for (let pages = 1; pages <= 1_000; pages++) {
    const page: Page<FeedbackRecord> = await store.listFeedback(token === undefined ? query : { ...query, pageToken: token })
    items.push(...page.items)
    if (page.nextPageToken === undefined) return { items, pages }
    token = page.nextPageToken
  }
  throw new Error('paging did not end after 1,000 pages')
}

/**
 * What every `MonitoringStore` adapter must do (SQLite, PostgreSQL, HTTP): feedback only for stored
 * predictions, of the type the model predicts, each label once (retries are duplicates, a different label a
 * conflict), all or nothing per batch; alerts stored, filtered, paged and found again for cooldowns.
 */
export function describeMonitoringStore(label_: string, makeStore: () => Promise<MonitoringStoreHarness>): void {
  describe(`MonitoringStore contract (${label_})`, () => {
    let harness: MonitoringStoreHarness
    let store: MonitoringStore

    beforeEach(async () => {
      harness = await makeStore()
      store = harness.store
      await harness.predictions.appendPredictions([...Array.from({ length: 30 }, (_, i) => classified(i)), regressed(1), regressed(2)])
    })
    afterEach(async () => {
      await harness.close()
    })

    it('stores outcomes for stored predictions; a class given as a number is stored as the class string', async () => {
      const result = await store.appendFeedback([label('c-000001', '1'), label('c-000002', 0), label('r-000001', 12.25)])
      expect(result).toEqual({ accepted: 3, duplicates: 0 })
      const { items } = await allFeedback(store, {})
      expect(items).toEqual([label('c-000001', '1'), label('c-000002', '0'), label('r-000001', 12.25)])
    })

    it('refuses unknown prediction ids with 404 naming them, and stores nothing of the batch', async () => {
      const error = await expectKeelError(
        store.appendFeedback([label('c-000001', '1'), label('nope-1', '1'), label('nope-2', '0')]),
        'RESOURCE_DOES_NOT_EXIST',
      )
      expect(error.message).toContain("'nope-1'")
      expect(error.message).toContain("'nope-2'")
      expect(error.message).not.toContain("'c-000001'")
      expect((await store.listFeedback({})).items).toEqual([])
    })

    it('ignores the same outcome posted again (a retry) and counts it as a duplicate, not twice', async () => {
      expect(await store.appendFeedback([label('c-000003', '1')])).toEqual({ accepted: 1, duplicates: 0 })
      expect(await store.appendFeedback([label('c-000003', 1), label('c-000004', '0')])).toEqual({ accepted: 1, duplicates: 1 })
      // The same id twice within one batch is one label.
      expect(await store.appendFeedback([label('c-000005', '0'), label('c-000005', '0')])).toEqual({ accepted: 1, duplicates: 1 })
      const { items } = await allFeedback(store, {})
      expect(items.map((f) => f.predictionId)).toEqual(['c-000003', 'c-000004', 'c-000005'])
    })

    it('refuses a different outcome for a labelled prediction with RESOURCE_ALREADY_EXISTS naming it; the first label stays', async () => {
      await store.appendFeedback([label('c-000006', '1')])
      const error = await expectKeelError(store.appendFeedback([label('c-000007', '1'), label('c-000006', '0')]), 'RESOURCE_ALREADY_EXISTS')
      expect(error.message).toContain("'c-000006'")
      const { items } = await allFeedback(store, {})
      expect(items).toEqual([label('c-000006', '1')])
      // Conflicting outcomes within one batch are a mistake too, and nothing is stored.
      await expectKeelError(store.appendFeedback([label('c-000008', '1'), label('c-000008', '0')]), 'INVALID_PARAMETER_VALUE')
      expect((await allFeedback(store, {})).items).toHaveLength(1)
    })

    it('refuses outcomes of the wrong type with 400 naming the id and what was expected', async () => {
      const regression = await expectKeelError(store.appendFeedback([label('r-000002', 'high')]), 'INVALID_PARAMETER_VALUE')
      expect(regression.message).toContain("'r-000002'")
      expect(regression.message).toMatch(/number/)
      const unknownClass = await expectKeelError(store.appendFeedback([label('c-000010', '1'), label('c-000009', 'maybe')]), 'INVALID_PARAMETER_VALUE')
      expect(unknownClass.message).toContain("'c-000009'")
      expect(unknownClass.message).toContain('"0", "1"')
      expect(unknownClass.message).not.toContain("'c-000010'")
      await expectKeelError(store.appendFeedback([label('c-000010', 2)]), 'INVALID_PARAMETER_VALUE')
      expect((await store.listFeedback({})).items).toEqual([])
    })

    it('pages outcomes in prediction id order and filters them by prediction ids', async () => {
      const batch = Array.from({ length: 25 }, (_, i) => label(classified(29 - i).id, String((29 - i) % 2)))
      expect(await store.appendFeedback(batch)).toEqual({ accepted: 25, duplicates: 0 })
      const paged = await allFeedback(store, { maxResults: 10 })
      expect(paged.pages).toBe(3)
      expect(paged.items.map((f) => f.predictionId)).toEqual(batch.map((f) => f.predictionId).sort())
      const some = await allFeedback(store, { predictionIds: ['c-000029', 'c-000010', 'c-000000', 'unknown'], maxResults: 2 })
      expect(some.items.map((f) => [f.predictionId, f.outcome])).toEqual([
        ['c-000010', '0'],
        ['c-000029', '1'],
      ])
      await expectKeelError(store.listFeedback({ maxResults: 0 }), 'INVALID_PARAMETER_VALUE')
    })

    it('takes a large batch in one call', async () => {
      const many = Array.from({ length: 3_000 }, (_, i) => classified(1_000 + i))
      await harness.predictions.appendPredictions(many)
      const result = await store.appendFeedback(many.map((p) => label(p.id, p.outputs['prediction'] as string)))
      expect(result).toEqual({ accepted: 3_000, duplicates: 0 })
      const wanted = many.slice(0, 250).map((p) => p.id)
      const { items } = await allFeedback(store, { predictionIds: wanted })
      expect(items.map((f) => f.predictionId)).toEqual(wanted)
    })

    it('stores alerts, lists them by model, rule and time window in (fired_at, id) order, and pages them', async () => {
      for (let i = 0; i < 12; i++) await store.appendAlert(alert(i, i % 3 === 0 ? { rule: 'quality', model: 'other' } : {}))
      await store.appendAlert(alert(1)) // the same id again: ignored
      const all = await store.listAlerts({})
      expect(all.items.map((a) => a.id)).toEqual(Array.from({ length: 12 }, (_, i) => alert(i).id))
      expect(all.items[1]).toEqual(alert(1))
      const fraud = await store.listAlerts({ model: 'fraud', rule: 'drift', from: T0 + 2_000, to: T0 + 8_000 })
      expect(fraud.items.map((a) => a.window.index)).toEqual([2, 4, 5, 7])
      const first = await store.listAlerts({ maxResults: 5 })
      expect(first.items).toHaveLength(5)
      expect(first.nextPageToken).toBeDefined()
      const second = await store.listAlerts({ maxResults: 5, pageToken: first.nextPageToken! })
      expect(second.items.map((a) => a.id)).toEqual(Array.from({ length: 5 }, (_, i) => alert(i + 5).id))
      await expectKeelError(store.listAlerts({ from: T0 + 10, to: T0 }), 'INVALID_PARAMETER_VALUE')
    })

    it('finds the last alert of a rule for a model (cooldowns) and keeps non-finite values', async () => {
      expect(await store.lastAlert('drift', 'fraud')).toBeUndefined()
      await store.appendAlert(alert(3))
      await store.appendAlert(alert(7))
      await store.appendAlert(alert(9, { model: 'other' }))
      await store.appendAlert(alert(5, { value: Number.NaN }))
      expect((await store.lastAlert('drift', 'fraud'))?.id).toBe(alert(7).id)
      expect((await store.lastAlert('drift', 'other'))?.id).toBe(alert(9).id)
      const nan = (await store.listAlerts({ from: T0 + 5_000, to: T0 + 6_000 })).items[0]
      expect(nan?.value).toBeNaN()
    })
  })
}
