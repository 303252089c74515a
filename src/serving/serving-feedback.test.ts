import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'
import type { ServingStore } from '../../test/support/serving-fixture.js'
import { realizedPerformance } from '../monitoring/performance.js'
import { openDeployment } from './deployment.js'
import { PredictionCapture } from './prediction-capture.js'
import { createServingApp } from './serving-app.js'
import type { ServingApp } from './serving-app.js'
import type { Deployment } from './types.js'

async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

describe('POST /feedback on the serving app (real XGBoost fraud model, captured predictions)', () => {
  let store: ServingStore
  let keel: Keel
  let fraud: Deployment
  let capture: PredictionCapture
  let serving: ServingApp
  let base: string
  const { features, inputs, probabilities } = xgbBinaryExpected()

  beforeAll(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
    fraud = await openDeployment(keel, { name: 'fraud', champion: 'champion', batching: 'off' }, { pollMs: 0 })
    // A long flush interval: the predictions are still buffered when their labels arrive.
    capture = new PredictionCapture(keel.predictions, { batchSize: 10_000, flushMs: 3_600_000 })
    serving = await createServingApp({ deployments: [fraud], capture, monitoring: keel.monitoring })
    base = await serving.listen(0, '127.0.0.1')
  }, 60_000)

  afterAll(async () => {
    await serving.close()
    await capture.close()
    await fraud.close()
    await keel.close()
    store.remove()
  })

  it('takes labels for the predictions it answered (even still buffered), refuses bad ones with 4xx, counts nothing twice', async () => {
    const n = 40
    const answer = await post(base, '/invocations', { dataframe_split: { columns: features, data: inputs.slice(0, n) } })
    expect(answer.status).toBe(200)
    const ids = answer.json['prediction_ids'] as string[]
    expect(ids).toHaveLength(n)
    // Labels: the rounded XGBoost probability of a shuffled row, so realized AUC is a real number below 1.
    const labels = ids.map((_, i) => (probabilities[(i * 7) % n]! > 0.5 ? '1' : '0'))
    const first = await post(base, '/feedback', { feedback: ids.map((id, i) => ({ prediction_id: id, outcome: labels[i] })) })
    expect(first.status, JSON.stringify(first.json)).toBe(200)
    expect(first.json).toEqual({ accepted: n, duplicates: 0 })
    expect((await post(base, '/feedback', { feedback: [{ prediction_id: ids[0], outcome: labels[0] }] })).json).toEqual({ accepted: 0, duplicates: 1 })

    const conflict = await post(base, '/feedback', { feedback: [{ prediction_id: ids[1], outcome: labels[1] === '1' ? '0' : '1' }] })
    expect(conflict.status).toBe(400)
    expect(conflict.json['error_code']).toBe('RESOURCE_ALREADY_EXISTS')
    const unknown = await post(base, '/feedback', { feedback: [{ prediction_id: 'never-answered', outcome: '1' }] })
    expect(unknown.status).toBe(404)
    expect(unknown.json['message']).toContain("'never-answered'")
    const wrongClass = await post(base, '/feedback', { feedback: [{ prediction_id: ids[2], outcome: 'fraud' }] })
    expect(wrongClass.status).toBe(400)
    expect(wrongClass.json['message']).toContain('"0", "1"')
    expect((await post(base, '/feedback', { feedback: [] })).status).toBe(400)

    // Joined back: one label per prediction, and realized metrics come from them.
    const stored = await keel.monitoring.listFeedback({ predictionIds: ids })
    expect(stored.items).toHaveLength(n)
    const byId = new Map(stored.items.map((f) => [f.predictionId, f.outcome]))
    const predictions = (await keel.predictions.listPredictions({ deployment: 'fraud' })).items
    expect(predictions).toHaveLength(n)
    const realized = realizedPerformance('classification', predictions.map((p) => p.outputs), predictions.map((p) => byId.get(p.id)!))
    expect(realized['labelled']).toBe(n)
    expect(realized['roc_auc']).toBeGreaterThan(0)
    expect(realized['roc_auc']).toBeLessThan(1)
  })
})
