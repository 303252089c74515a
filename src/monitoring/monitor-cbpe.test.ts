import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { train } from '../training/train.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { runMonitor } from './monitor.js'
import type { MonitorOptions } from './monitor.js'
import type { PredictionRecord } from './prediction-store.js'
import { loadReference, referenceOutputs } from './reference.js'

/**
 * Issue 6's honest-estimate check on the example's setup: a keel gbdt trained by train() on fraud-like data (its
 * reference is the labelled holdout), then unseen in-distribution traffic scored by it and stored as captured
 * predictions with delayed labels. CBPE calibrated on the reference must land near the realized ROC AUC; the same
 * windows estimated with raw (overconfident) scores must not.
 */

const FEATURES = ['amount', 'hour', 'merchant_age_days', 'foreign', 'card_present', 'tx_last_hour', 'distance_km', 'account_age_days'] as const
const TRAIN_ROWS = 30_000
const WINDOW_ROWS = 8_000
const WINDOWS = 2
const T0 = Date.UTC(2025, 0, 1)

/** The example's generator (examples/fraud/data.ts), with 5 % fraud so a window holds enough positives. */
function fraudRows(n: number, seed: number): { x: number[][]; y: number[] } {
  const random = createRandom(seed)
  const x: number[][] = []
  const y: number[] = []
  for (let i = 0; i < n; i++) {
    const fraud = random.next() < 0.05
    const f = fraud && random.next() > 0.35
    x.push([
      Math.round(Math.exp((f ? 5.2 : 3.6) + random.normal() * 0.9) * 100) / 100,
      f && random.next() < 0.6 ? Math.floor(random.next() * 6) : Math.floor(random.next() * 24),
      Math.floor(f ? random.next() * 60 : random.next() * 2000),
      random.next() < (f ? 0.45 : 0.08) ? 1 : 0,
      random.next() < (f ? 0.2 : 0.7) ? 1 : 0,
      Math.floor((f ? 4 : 1) * random.next() * 3),
      Math.round(Math.abs(random.normal()) * (f ? 900 : 40) * 10) / 10,
      Math.floor(random.next() * (f ? 400 : 3000)),
    ])
    y.push(fraud ? 1 : 0)
  }
  return { x, y }
}

describe('CBPE calibrated on the labelled holdout reference', () => {
  let dir: ReturnType<typeof tempDir>
  let keel: Keel

  beforeAll(async () => {
    dir = tempDir('keel-cbpe-')
    keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { clock: manualClock(T0 + 86_400_000), artifactsRoot: join(dir.path, 'artifacts') })
    const data = fraudRows(TRAIN_ROWS, 42)
    const csv = join(dir.path, 'fraud.csv')
    writeFileSync(csv, [[...FEATURES, 'is_fraud'].join(','), ...data.x.map((r, i) => [...r, data.y[i]].join(','))].join('\n') + '\n')
    const result = await train(
      {
        experiment: 'fraud',
        seed: 42,
        data: { path: csv },
        target: 'is_fraud',
        task: 'classification',
        algorithm: { name: 'gbdt', params: { nRounds: 100, maxLeaves: 31, learningRate: 0.1 } },
        evaluation: { testFraction: 0.2, stratified: true },
        explain: { enabled: false },
        register: { name: 'fraud', alias: 'champion' },
      },
      { keel },
    )
    // Served traffic: unseen rows from the training distribution, with their true outcomes as feedback.
    const traffic = fraudRows(WINDOW_ROWS * WINDOWS, 101)
    const inputs = new Frame(FEATURES.map((name, j) => numericColumn(name, traffic.x.map((r) => r[j]!))))
    const outputs = referenceOutputs(result.predictor, inputs)
    const p1 = outputs.numeric('probability_1')
    const records: PredictionRecord[] = traffic.x.map((r, i) => ({
      id: `pred-${String(i).padStart(6, '0')}`,
      deployment: 'fraud',
      model: 'fraud',
      version: result.version!.version,
      arm: 'champion',
      timestamp: T0 + i,
      inputs: Object.fromEntries(FEATURES.map((name, j) => [name, r[j]!])),
      outputs: { prediction: p1[i]! > 0.5 ? '1' : '0', probability_0: 1 - p1[i]!, probability_1: p1[i]! },
    }))
    await keel.predictions.appendPredictions(records)
    await keel.monitoring.appendFeedback(records.map((r, i) => ({ predictionId: r.id, outcome: String(traffic.y[i]), receivedAt: T0 + 86_400_000 })))
  }, 120_000)

  afterAll(async () => {
    await keel?.close()
    dir?.remove()
  })

  const options: MonitorOptions = { model: 'models:/fraud@champion', window: { kind: 'count', size: WINDOW_ROWS }, track: false }

  it('train() keeps the holdout, with its labels, as the reference', async () => {
    const reference = await loadReference(keel, 'models:/fraud@champion')
    expect(reference?.profile.rows).toBe(TRAIN_ROWS * 0.2)
    expect(reference?.sample.rows).toBe(TRAIN_ROWS * 0.2)
    expect(reference?.sample.has('__label')).toBe(false)
    expect(reference?.labels?.length).toBe(TRAIN_ROWS * 0.2)
    const positives = reference!.labels!.filter((l) => l === '1').length
    expect(positives / reference!.labels!.length).toBeGreaterThan(0.03)
    expect(reference!.labels!.every((l) => l === '0' || l === '1')).toBe(true)
  })

  it('estimates each in-distribution window within 0.03 ROC AUC of the realized one', async () => {
    const run = await runMonitor(keel, options)
    expect(run.cbpeCalibrated).toBe(true)
    expect(run.windows).toHaveLength(WINDOWS)
    for (const w of run.windows) {
      const realized = w.performance?.['roc_auc']
      const estimated = w.estimated?.['roc_auc']
      expect(realized).toBeGreaterThan(0.7)
      expect(Math.abs(estimated! - realized!)).toBeLessThan(0.03)
    }
    // The raw scores, as before the reference had labels: the gap this fixes.
    const raw = await runMonitor(keel, { ...options, analysis: { calibrate: () => undefined } })
    expect(raw.cbpeCalibrated).toBe(false)
    const gaps = raw.windows.map((w) => Math.abs(w.estimated!['roc_auc']! - w.performance!['roc_auc']!))
    const calibratedGaps = run.windows.map((w) => Math.abs(w.estimated!['roc_auc']! - w.performance!['roc_auc']!))
    // Measured: realized 0.827 / 0.836, calibrated 0.824 / 0.847, raw 0.897 / 0.910.
    expect(Math.min(...gaps)).toBeGreaterThan(0.04)
    expect(Math.max(...gaps)).toBeGreaterThan(Math.max(...calibratedGaps))
  })
})
