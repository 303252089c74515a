import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { startServing } from '../../src/serving/serve.js'
import { servingStore, xgbBinaryExpected } from '../support/serving-fixture.js'
import type { ServingStore } from '../support/serving-fixture.js'

// Real HTTP against startServing in this process: 8 clients keep the server busy while the champion alias
// moves 10 times between v1 and v2; every request must succeed and name a version that was champion while it ran.

const CLIENTS = 8
const MOVES = 10
const ANSWERS_PER_MOVE = 24
const TEST_BUDGET_MS = 15_000

let store: ServingStore
beforeAll(async () => {
  store = await servingStore()
}, 60_000)
afterAll(() => store?.remove())

describe('serving hot swap', () => {
  it('moves the champion alias 10 times under load: 0 failed requests, every answer names the version that was champion', async () => {
    const { features, inputs, probabilities } = xgbBinaryExpected()
    const keel = await Keel.open(store.storeUri)
    const running = await startServing({ models: ['models:/fraud@champion'], keel, port: 0, host: '127.0.0.1', pollMs: 0, capture: { flushMs: 20 } })
    try {
      // versionAt[k]: the champion after k moves. A request that starts after move j is done and ends before
      // move k+1 starts may be answered by versionAt[j..k], nothing else.
      const versionAt: string[] = ['1']
      let movesStarted = 0
      let movesDone = 0
      let stop = false
      const deadline = Date.now() + TEST_BUDGET_MS
      const failures: string[] = []
      const seen = new Map<string, number>()
      let answered = 0

      const one = async (i: number): Promise<void> => {
        const row = i % inputs.length
        const epochAtStart = movesDone
        const v2 = i % 2 === 0
        const body = v2
          ? { inputs: [{ name: 'input-0', shape: [1, features.length], datatype: 'FP64', data: [inputs[row]!] }] }
          : { dataframe_split: { columns: features, data: [inputs[row]!] } }
        let status = 0
        let text = ''
        let header: string | null = null
        try {
          const response = await fetch(`${running.url}${v2 ? '/v2/models/fraud/infer' : '/invocations'}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          status = response.status
          header = response.headers.get('x-keel-model-version')
          text = await response.text()
        } catch (error) {
          failures.push(`request ${i}: ${String(error)}`)
          return
        }
        const epochAtEnd = movesStarted
        if (status !== 200) {
          failures.push(`request ${i}: ${status} ${text}`)
          return
        }
        const json = JSON.parse(text) as Record<string, unknown>
        const version = String(json['model_version'])
        const allowed = versionAt.slice(epochAtStart, epochAtEnd + 1)
        if (header !== `fraud/${version}` || !allowed.includes(version)) {
          failures.push(`request ${i}: answered by ${version} (header ${String(header)}); champion while it ran: ${allowed.join(' or ')}`)
          return
        }
        const p = v2
          ? ((json['outputs'] as Array<{ name: string; data: number[] }>).find((o) => o.name === 'predict_proba')!.data[1] as number)
          : ((json['predictions'] as Array<Record<string, number>>)[0]!['probability_1'] as number)
        if (!(Math.abs(p - probabilities[row]!) < 1e-6)) failures.push(`request ${i}: probability ${p}, XGBoost says ${probabilities[row]}`)
        seen.set(version, (seen.get(version) ?? 0) + 1)
        answered++
      }

      let next = 0
      const client = async (): Promise<void> => {
        while (!stop && Date.now() < deadline) await one(next++)
      }
      const clients = Array.from({ length: CLIENTS }, () => client())

      const waitForAnswers = async (n: number): Promise<void> => {
        const target = answered + n
        while (answered < target && Date.now() < deadline && failures.length === 0) await new Promise((r) => setTimeout(r, 5))
      }
      await waitForAnswers(ANSWERS_PER_MOVE)
      for (let move = 1; move <= MOVES && Date.now() < deadline; move++) {
        const target = move % 2 === 1 ? '2' : '1'
        versionAt.push(target)
        movesStarted++
        await keel.setAlias('fraud', 'champion', target)
        await running.deployments[0]!.refresh()
        expect(running.deployments[0]!.champion().version).toBe(target)
        movesDone++
        await waitForAnswers(ANSWERS_PER_MOVE)
      }
      stop = true
      await Promise.all(clients)

      expect(failures.slice(0, 5)).toEqual([])
      expect(movesStarted).toBe(MOVES)
      expect(answered).toBeGreaterThanOrEqual((MOVES + 1) * ANSWERS_PER_MOVE)
      expect(seen.get('1')).toBeGreaterThan(0)
      expect(seen.get('2')).toBeGreaterThan(0)
      expect([...seen.keys()].sort()).toEqual(['1', '2'])

      // Closing flushes capture: every answered prediction is in the store, each with the version that answered.
      await running.close()
      expect(await keel.predictions.countPredictions({ deployment: 'fraud' })).toBe(answered)
      expect(await keel.predictions.countPredictions({ deployment: 'fraud', version: '2' })).toBe(seen.get('2'))
    } finally {
      await running.close()
      await keel.close()
    }
  }, 40_000)
})
