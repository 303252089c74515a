import { describe, expect, it } from 'vitest'
import { decodeCaptureBatch, encodeCaptureBatch } from './cluster-capture.js'
import type { CapturedPrediction } from './types.js'

describe('captured predictions over IPC', () => {
  it('round-trips records with differing column lists through the array encoding, each list sent once', () => {
    const records: CapturedPrediction[] = [
      { id: 'a-0', deployment: 'fraud', model: 'fraud', version: '1', arm: 'champion', timestamp: 1, inputs: { age: 3, kind: 'x', gap: null }, outputs: { prediction: '1', probability_0: 0.2, probability_1: 0.8 } },
      { id: 'a-1', deployment: 'fraud', model: 'fraud', version: '1', arm: 'champion', timestamp: 2, inputs: { age: 4, kind: null, gap: 1.5 }, outputs: { prediction: '0', probability_0: 0.9, probability_1: 0.1 } },
      { id: 'a-1:shadow', deployment: 'fraud', model: 'fraud', version: '2', arm: 'shadow', timestamp: 2, inputs: { age: 4, kind: null, gap: 1.5 }, outputs: { prediction: null } },
      { id: 'b-0', deployment: 'churn', model: 'churn', version: '7', arm: 'challenger', timestamp: 3, inputs: {}, outputs: { prediction: 2.5 } },
    ]
    const batch = encodeCaptureBatch(records)
    expect(batch.keys).toEqual([['age', 'kind', 'gap'], ['prediction', 'probability_0', 'probability_1'], ['prediction'], []])
    const wire = JSON.parse(JSON.stringify(batch)) as typeof batch
    expect(decodeCaptureBatch(wire)).toEqual(records)
    expect(JSON.stringify(batch).length).toBeLessThan(JSON.stringify(records).length)
  })
})
