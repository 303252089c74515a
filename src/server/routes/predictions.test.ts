import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, startTestServer } from '../../../test/support/server-fixture.js'
import type { TestServer } from '../../../test/support/server-fixture.js'
import { migrate } from '../../store/sql/migrate.js'
import { SqlPredictionStore } from '../../store/sql/predictions/sql-prediction-store.js'
import { MIGRATIONS } from '../../store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../store/sqlite/sqlite-driver.js'

const BASE = '/api/keel/v1/predictions'
const wire = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: `p${i}`,
  deployment: 'fraud',
  model: 'fraud',
  version: '1',
  arm: 'champion',
  timestamp: 1_700_000_000_000 + i,
  inputs: { amount: i, country: 'DE', missing: null },
  outputs: { prediction: 1, probability_1: 0.9 },
  ...extra,
})

describe('prediction routes', () => {
  let server: TestServer
  let driver: SqliteDriver
  let store: SqlPredictionStore

  beforeEach(async () => {
    driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, MIGRATIONS)
    store = new SqlPredictionStore(driver)
    server = await startTestServer({ server: { predictions: store } })
  })
  afterEach(async () => {
    await server.close()
    await driver.close()
  })

  it('appends, lists with paging and counts in snake_case, timestamps accepted as digit strings', async () => {
    const batch = [wire(1), wire(2, { timestamp: '1700000000000' }), wire(3, { arm: 'shadow', version: '2' })]
    expect(await call(server.app, 'POST', `${BASE}/batch`, { predictions: batch })).toMatchObject({ status: 200, json: {} })
    const first = await call(server.app, 'GET', `${BASE}?deployment=fraud&max_results=2`)
    expect(first.status).toBe(200)
    expect(first.json.predictions.map((p: { id: string }) => p.id)).toEqual(['p2', 'p1'])
    expect(first.json.predictions[0]).toEqual({ ...wire(2), timestamp: 1_700_000_000_000 })
    const token = encodeURIComponent(first.json.next_page_token as string)
    const second = await call(server.app, 'GET', `${BASE}?deployment=fraud&max_results=2&page_token=${token}`)
    expect(second.json).toEqual({ predictions: [wire(3, { arm: 'shadow', version: '2' })] })
    const count = await call(server.app, 'GET', `${BASE}/count?model=fraud&version=1&from=1700000000001&to=1700000000002`)
    expect(count.json).toEqual({ count: 1 })
    expect(await store.countPredictions({})).toBe(3)
  })

  it('answers 400 naming the field for bad queries and bad records, and stores nothing from a bad batch', async () => {
    const cases: Array<[string, string | Record<string, unknown>, string]> = [
      [`${BASE}?max_results=abc`, '', 'max_results'],
      [`${BASE}?max_results=0`, '', 'max_results'],
      [`${BASE}?max_results=50001`, '', 'max_results'],
      [`${BASE}?from=yesterday`, '', 'from'],
      [`${BASE}/count?to=1.5`, '', 'to'],
      [`${BASE}?arm=sideways`, '', 'arm'],
      [`${BASE}?page_token=!!!`, '', 'page_token'],
      [`${BASE}/count?from=10&to=5`, '', "'from'"],
      [`${BASE}/batch`, { predictions: [wire(1), wire(2, { arm: 'sideways' })] }, 'predictions[1].arm'],
      [`${BASE}/batch`, { predictions: [wire(1, { timestamp: 'now' })] }, 'predictions[0].timestamp'],
      [`${BASE}/batch`, { predictions: [wire(1, { inputs: { a: [1] } })] }, 'predictions[0].inputs.a'],
      [`${BASE}/batch`, { predictions: [wire(1, { id: '' })] }, 'predictions[0].id'],
      [`${BASE}/batch`, { predictions: 'all of them' }, 'predictions'],
      [`${BASE}/batch`, {}, 'predictions'],
    ]
    for (const [url, body, field] of cases) {
      const res = body === '' ? await call(server.app, 'GET', url) : await call(server.app, 'POST', url, body)
      expect(res.status, url).toBe(400)
      expect(res.json.error_code, url).toBe('INVALID_PARAMETER_VALUE')
      expect(res.json.message as string, url).toContain(field)
    }
    const tooMany = { predictions: Array.from({ length: 10_001 }, (_, i) => wire(i)) }
    expect((await call(server.app, 'POST', `${BASE}/batch`, tooMany)).status).toBe(400)
    expect(await store.countPredictions({})).toBe(0)
  })

  it('answers NOT_IMPLEMENTED, naming the fix, on a server without a prediction store', async () => {
    const bare = await startTestServer({ predictions: false })
    try {
      const res = await call(bare.app, 'GET', `${BASE}/count`)
      expect(res.status).toBe(501)
      expect(res.json.error_code).toBe('NOT_IMPLEMENTED')
      expect(res.json.message).toContain('prediction store')
    } finally {
      await bare.close()
    }
  })
})
