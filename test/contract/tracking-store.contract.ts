import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../src/core/clock.js'
import { isKeelError } from '../../src/core/errors.js'
import type { ErrorCode, KeelError } from '../../src/core/errors.js'
import type { Page } from '../../src/core/page.js'
import type { Metric, Run, SearchRunsInput, TrackingStore } from '../../src/tracking/index.js'

export interface TrackingStoreHarness {
  store: TrackingStore
  clock: Clock & { advance(ms: number): void }
  close(): Promise<void>
}

/** Resolves with the KeelError a call rejects with, failing the test if it resolves or throws something else. */
export async function expectKeelError(promise: Promise<unknown>, code: ErrorCode): Promise<KeelError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected ${code}, but the call succeeded with ${JSON.stringify(outcome.value)}`)
  if (!isKeelError(outcome.error)) throw outcome.error
  expect(outcome.error.code, outcome.error.message).toBe(code)
  return outcome.error
}

const sortKeys = <T extends { key: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

/**
 * The behaviour every `TrackingStore` adapter must share (SQLite, PostgreSQL, HTTP). Adapters trust their
 * inputs (validation lives in `Tracking`), so this suite checks stored-state rules: ids, lifecycle,
 * immutability, ordering, paging, search semantics and purge.
 */
export function describeTrackingStore(label: string, makeStore: () => Promise<TrackingStoreHarness>): void {
  describe(`TrackingStore contract (${label})`, () => {
    let harness: TrackingStoreHarness
    let store: TrackingStore
    let clock: TrackingStoreHarness['clock']

    beforeEach(async () => {
      harness = await makeStore()
      store = harness.store
      clock = harness.clock
    })

    afterEach(async () => {
      await harness.close()
    })

    const newRun = async (experimentId: string, extra: { runName?: string; userId?: string; tags?: { key: string; value: string }[] } = {}): Promise<string> => {
      clock.advance(1)
      return (await store.createRun({ experimentId, startTime: clock.now(), ...extra })).info.runId
    }
    const metric = (key: string, value: number, step = 0, timestamp = clock.now()): Metric => ({ key, value, step, timestamp })
    const allPages = async <T>(fetch: (pageToken: string | undefined) => Promise<Page<T>>): Promise<T[]> => {
      const items: T[] = []
      let token: string | undefined
      for (let page = 0; page < 1000; page++) {
        const result = await fetch(token)
        items.push(...result.items)
        token = result.nextPageToken
        if (token === undefined) return items
      }
      throw new Error('paging did not end within 1000 pages')
    }
    const searchIds = async (input: SearchRunsInput): Promise<string[]> =>
      (await store.searchRuns(input)).items.map((run) => run.info.runId)

    describe('experiments', () => {
      it('always has the Default experiment 0', async () => {
        const experiment = await store.getExperiment('0')
        expect(experiment).toMatchObject({ experimentId: '0', name: 'Default', artifactLocation: 'mlflow-artifacts:/0', lifecycleStage: 'active' })
        expect((await store.getExperimentByName('Default'))?.experimentId).toBe('0')
      })

      it('creates experiments with string integer ids, default artifact location and tags', async () => {
        const id = await store.createExperiment({ name: 'fraud', tags: [{ key: 'team', value: 'risk' }] })
        expect(id).toMatch(/^[1-9]\d*$/)
        const experiment = await store.getExperiment(id)
        expect(experiment).toEqual({
          experimentId: id,
          name: 'fraud',
          artifactLocation: `mlflow-artifacts:/${id}`,
          lifecycleStage: 'active',
          creationTime: clock.now(),
          lastUpdateTime: clock.now(),
          tags: [{ key: 'team', value: 'risk' }],
        })
        const other = await store.createExperiment({ name: 'churn', artifactLocation: 's3://bucket/churn' })
        expect(other).not.toBe(id)
        expect((await store.getExperiment(other)).artifactLocation).toBe('s3://bucket/churn')
      })

      it('refuses duplicate names, including names of deleted experiments', async () => {
        const id = await store.createExperiment({ name: 'dup' })
        await expectKeelError(store.createExperiment({ name: 'dup' }), 'RESOURCE_ALREADY_EXISTS')
        await store.deleteExperiment(id)
        await expectKeelError(store.createExperiment({ name: 'dup' }), 'RESOURCE_ALREADY_EXISTS')
        await expectKeelError(store.createExperiment({ name: 'Default' }), 'RESOURCE_ALREADY_EXISTS')
      })

      it('reports unknown experiments', async () => {
        await expectKeelError(store.getExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST')
        expect(await store.getExperimentByName('nope')).toBeUndefined()
        await expectKeelError(store.renameExperiment('987654', 'x'), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.deleteExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.setExperimentTag('987654', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST')
      })

      it('renames, keeping names unique and refusing deleted experiments', async () => {
        const id = await store.createExperiment({ name: 'old' })
        await store.createExperiment({ name: 'taken' })
        clock.advance(5)
        await store.renameExperiment(id, 'new')
        const renamed = await store.getExperiment(id)
        expect(renamed.name).toBe('new')
        expect(renamed.lastUpdateTime).toBe(clock.now())
        expect(await store.getExperimentByName('old')).toBeUndefined()
        await expectKeelError(store.renameExperiment(id, 'taken'), 'RESOURCE_ALREADY_EXISTS')
        await store.deleteExperiment(id)
        await expectKeelError(store.renameExperiment(id, 'newer'), 'INVALID_PARAMETER_VALUE')
      })

      it('deletes and restores an experiment together with the runs deleted with it', async () => {
        const id = await store.createExperiment({ name: 'lifecycle' })
        const kept = await newRun(id)
        const deletedBefore = await newRun(id)
        await store.deleteRun(deletedBefore)
        clock.advance(10)
        await store.deleteExperiment(id)
        const deleted = await store.getExperiment(id)
        expect(deleted.lifecycleStage).toBe('deleted')
        expect((await store.getExperimentByName('lifecycle'))?.lifecycleStage).toBe('deleted')
        expect((await store.getRun(kept)).info.lifecycleStage).toBe('deleted')
        await expectKeelError(store.createRun({ experimentId: id, startTime: clock.now() }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.logBatch(kept, { metrics: [metric('m', 1)] }), 'INVALID_PARAMETER_VALUE')
        await store.restoreExperiment(id)
        expect((await store.getExperiment(id)).lifecycleStage).toBe('active')
        expect((await store.getRun(kept)).info.lifecycleStage).toBe('active')
        expect((await store.getRun(deletedBefore)).info.lifecycleStage).toBe('deleted')
      })

      it('never deletes the Default experiment', async () => {
        await expectKeelError(store.deleteExperiment('0'), 'INVALID_PARAMETER_VALUE')
        expect((await store.getExperiment('0')).lifecycleStage).toBe('active')
      })

      it('sets, overwrites and deletes experiment tags', async () => {
        const id = await store.createExperiment({ name: 'tags' })
        await store.setExperimentTag(id, { key: 'a', value: '1' })
        await store.setExperimentTag(id, { key: 'b', value: '2' })
        await store.setExperimentTag(id, { key: 'a', value: '3' })
        expect(sortKeys((await store.getExperiment(id)).tags)).toEqual([
          { key: 'a', value: '3' },
          { key: 'b', value: '2' },
        ])
        await store.deleteExperimentTag(id, 'a')
        expect((await store.getExperiment(id)).tags).toEqual([{ key: 'b', value: '2' }])
        await expectKeelError(store.deleteExperimentTag(id, 'a'), 'RESOURCE_DOES_NOT_EXIST')
        await store.deleteExperiment(id)
        await expectKeelError(store.setExperimentTag(id, { key: 'c', value: '1' }), 'INVALID_PARAMETER_VALUE')
      })

      describe('search', () => {
        let ids: Record<string, string>
        beforeEach(async () => {
          ids = {}
          for (const [name, tag] of [['alpha', 'x'], ['Beta', 'y'], ['gamma', 'x'], ['delta', 'Z']] as const) {
            clock.advance(100)
            ids[name] = await store.createExperiment({ name, tags: [{ key: 'group', value: tag }] })
          }
          clock.advance(100)
          await store.deleteExperiment(ids['delta']!)
        })
        const names = async (input: Parameters<TrackingStore['searchExperiments']>[0]): Promise<string[]> =>
          (await store.searchExperiments(input)).items.map((e) => e.name)

        it('orders by creation time, newest first, by default and honours view types', async () => {
          const filter = "name != 'Default'"
          expect(await names({ filter })).toEqual(['gamma', 'Beta', 'alpha'])
          expect(await names({ viewType: 'DELETED_ONLY' })).toEqual(['delta'])
          expect(await names({ viewType: 'ALL', filter })).toEqual(['delta', 'gamma', 'Beta', 'alpha'])
          expect(await names({})).toContain('Default')
        })

        it('filters by name with = != LIKE ILIKE (LIKE is case-sensitive)', async () => {
          expect(await names({ filter: "name = 'alpha'" })).toEqual(['alpha'])
          expect(await names({ filter: "attributes.name = 'Beta'" })).toEqual(['Beta'])
          expect(await names({ filter: "name != 'alpha' AND name != 'Default'" })).toEqual(['gamma', 'Beta'])
          expect(await names({ filter: "name LIKE '%a'" })).toEqual(['gamma', 'Beta', 'alpha'])
          expect(await names({ filter: "name LIKE 'b%'" })).toEqual([])
          expect(await names({ filter: "name ILIKE 'b%'" })).toEqual(['Beta'])
        })

        it('filters by tags and times', async () => {
          expect(await names({ filter: "tags.group = 'x'" })).toEqual(['gamma', 'alpha'])
          expect(await names({ filter: "tags.group != 'x'" })).toEqual(['Beta'])
          expect(await names({ filter: "tags.group ILIKE 'Z'", viewType: 'ALL' })).toEqual(['delta'])
          expect(await names({ filter: "tags.group LIKE 'Z'", viewType: 'ALL' })).toEqual(['delta'])
          expect(await names({ filter: "tags.group LIKE 'z'", viewType: 'ALL' })).toEqual([])
          const beta = await store.getExperiment(ids['Beta']!)
          expect(await names({ filter: `creation_time >= ${beta.creationTime} AND name != 'Default'` })).toEqual(['gamma', 'Beta'])
          expect(await names({ filter: `creation_time < ${beta.creationTime} AND name != 'Default'` })).toEqual(['alpha'])
          expect(await names({ filter: `creation_time = ${beta.creationTime}` })).toEqual(['Beta'])
          expect(await names({ filter: `last_update_time > ${beta.lastUpdateTime} AND name != 'Default'` })).toEqual(['gamma'])
        })

        it('orders by name, creation_time, last_update_time and experiment_id', async () => {
          const filter = "name != 'Default'"
          expect(await names({ filter, orderBy: ['name ASC'] })).toEqual(['Beta', 'alpha', 'gamma'])
          expect(await names({ filter, orderBy: ['name DESC'] })).toEqual(['gamma', 'alpha', 'Beta'])
          expect(await names({ filter, orderBy: ['creation_time ASC'] })).toEqual(['alpha', 'Beta', 'gamma'])
          expect(await names({ filter, orderBy: ['experiment_id DESC'] })).toEqual(['gamma', 'Beta', 'alpha'])
          clock.advance(100)
          await store.setExperimentTag(ids['alpha']!, { key: 'touched', value: '1' })
          expect(await names({ filter, orderBy: ['last_update_time DESC'] })).toEqual(['alpha', 'gamma', 'Beta'])
        })

        it('pages through every result exactly once', async () => {
          for (let i = 0; i < 7; i++) await store.createExperiment({ name: `bulk-${i}` })
          const all = await allPages((pageToken) =>
            store.searchExperiments({ maxResults: 2, orderBy: ['name ASC'], viewType: 'ALL', ...(pageToken === undefined ? {} : { pageToken }) }),
          )
          const expected = (await store.searchExperiments({ orderBy: ['name ASC'], viewType: 'ALL' })).items.map((e) => e.name)
          expect(all.map((e) => e.name)).toEqual(expected)
          expect(expected).toHaveLength(12)
        })

        it('rejects filters on unknown fields and bad page tokens', async () => {
          await expectKeelError(store.searchExperiments({ filter: 'metrics.auc > 1' }), 'INVALID_PARAMETER_VALUE')
          await expectKeelError(store.searchExperiments({ filter: "name > 'a'" }), 'INVALID_PARAMETER_VALUE')
          await expectKeelError(store.searchExperiments({ pageToken: 'not-a-token' }), 'INVALID_PARAMETER_VALUE')
        })
      })
    })

    describe('runs', () => {
      let experimentId: string
      beforeEach(async () => {
        experimentId = await store.createExperiment({ name: 'runs' })
      })

      it('creates a run with MLflow defaults and the mlflow.runName / mlflow.user tags', async () => {
        const run = await store.createRun({ experimentId, startTime: 1234, runName: 'first', userId: 'ada', tags: [{ key: 'k', value: 'v' }] })
        expect(run.info).toEqual({
          runId: run.info.runId,
          runName: 'first',
          experimentId,
          userId: 'ada',
          status: 'RUNNING',
          startTime: 1234,
          endTime: null,
          artifactUri: `mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts`,
          lifecycleStage: 'active',
        })
        expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/)
        expect(sortKeys(run.data.tags)).toEqual([
          { key: 'k', value: 'v' },
          { key: 'mlflow.runName', value: 'first' },
          { key: 'mlflow.user', value: 'ada' },
        ])
        expect(run.data.metrics).toEqual([])
        expect(run.data.params).toEqual([])
        expect(run.inputs).toEqual({ datasetInputs: [], modelInputs: [] })
        expect(run.outputs).toEqual({ modelOutputs: [] })
        const fetched = await store.getRun(run.info.runId)
        expect(fetched.info).toEqual(run.info)
        expect(sortKeys(fetched.data.tags)).toEqual(sortKeys(run.data.tags))
      })

      it('generates a run name when none is given and takes it from the tag when only the tag is given', async () => {
        const generated = await store.createRun({ experimentId, startTime: 1 })
        expect(generated.info.runName).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/)
        expect(generated.data.tags).toContainEqual({ key: 'mlflow.runName', value: generated.info.runName })
        const tagged = await store.createRun({ experimentId, startTime: 1, tags: [{ key: 'mlflow.runName', value: 'from-tag' }] })
        expect(tagged.info.runName).toBe('from-tag')
        const user = await store.createRun({ experimentId, startTime: 1, tags: [{ key: 'mlflow.user', value: 'grace' }] })
        expect(user.info.userId).toBe('grace')
      })

      it('places artifacts under a custom artifact location', async () => {
        const custom = await store.createExperiment({ name: 'custom', artifactLocation: 'file:///data/art/' })
        const run = await store.createRun({ experimentId: custom, startTime: 1 })
        expect(run.info.artifactUri).toBe(`file:///data/art/${run.info.runId}/artifacts`)
      })

      it('reports unknown runs and experiments', async () => {
        await expectKeelError(store.createRun({ experimentId: '424242', startTime: 1 }), 'RESOURCE_DOES_NOT_EXIST')
        const missing = 'f'.repeat(32)
        await expectKeelError(store.getRun(missing), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.updateRun(missing, { status: 'FINISHED' }), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.logBatch(missing, { params: [{ key: 'a', value: 'b' }] }), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.deleteRun(missing), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.getMetricHistory(missing, 'loss'), 'RESOURCE_DOES_NOT_EXIST')
      })

      it('updates status, end time and name (the tag follows the name)', async () => {
        const runId = await newRun(experimentId, { runName: 'before' })
        const info = await store.updateRun(runId, { status: 'FINISHED', endTime: 99, runName: 'after' })
        expect(info).toMatchObject({ runId, status: 'FINISHED', endTime: 99, runName: 'after' })
        const run = await store.getRun(runId)
        expect(run.info).toEqual(info)
        expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'after' })
        await store.updateRun(runId, { status: 'KILLED' })
        expect((await store.getRun(runId)).info).toMatchObject({ status: 'KILLED', endTime: 99, runName: 'after' })
      })

      it('logs a batch: params write-once, tags overwrite, metrics append', async () => {
        const runId = await newRun(experimentId)
        await store.logBatch(runId, {
          params: [{ key: 'lr', value: '0.1' }, { key: 'depth', value: '6' }],
          tags: [{ key: 'stage', value: 'dev' }],
          metrics: [metric('loss', 0.9, 0), metric('loss', 0.5, 1)],
        })
        await store.logBatch(runId, {
          params: [{ key: 'lr', value: '0.1' }],
          tags: [{ key: 'stage', value: 'prod' }],
          metrics: [metric('loss', 0.3, 2)],
        })
        const run = await store.getRun(runId)
        expect(sortKeys(run.data.params)).toEqual([
          { key: 'depth', value: '6' },
          { key: 'lr', value: '0.1' },
        ])
        expect(run.data.tags).toContainEqual({ key: 'stage', value: 'prod' })
        expect(run.data.tags.filter((t) => t.key === 'stage')).toHaveLength(1)
        expect(run.data.metrics).toEqual([metric('loss', 0.3, 2)])
        const history = await store.getMetricHistory(runId, 'loss')
        expect(history.items.map((m) => m.value)).toEqual([0.9, 0.5, 0.3])
      })

      it("refuses a changed param with MLflow's message and applies nothing of that batch", async () => {
        const runId = await newRun(experimentId)
        await store.logBatch(runId, { params: [{ key: 'k', value: 'a' }] })
        const error = await expectKeelError(
          store.logBatch(runId, { params: [{ key: 'k', value: 'b' }], tags: [{ key: 't', value: '1' }], metrics: [metric('m', 1)] }),
          'INVALID_PARAMETER_VALUE',
        )
        expect(error.message).toBe(
          `Changing param values is not allowed. Param with key='k' was already logged with value='a' for run ID='${runId}'. Attempted logging new value 'b'.`,
        )
        const run = await store.getRun(runId)
        expect(run.data.params).toEqual([{ key: 'k', value: 'a' }])
        expect(run.data.tags.find((t) => t.key === 't')).toBeUndefined()
        expect(run.data.metrics).toEqual([])
        expect((await store.getMetricHistory(runId, 'm')).items).toEqual([])
      })

      it('keeps the run name in step with the mlflow.runName tag', async () => {
        const runId = await newRun(experimentId, { runName: 'one' })
        await store.logBatch(runId, { tags: [{ key: 'mlflow.runName', value: 'two' }] })
        expect((await store.getRun(runId)).info.runName).toBe('two')
        expect(await searchIds({ experimentIds: [experimentId], filter: "attributes.run_name = 'two'" })).toEqual([runId])
      })

      it('round-trips NaN and ±Infinity in history and latest values', async () => {
        const runId = await newRun(experimentId)
        await store.logBatch(runId, {
          metrics: [metric('a', NaN, 0), metric('b', Infinity, 0), metric('c', -Infinity, 0), metric('d', -0.5, 0), metric('e', 1e-300, 0)],
        })
        const latest = new Map((await store.getRun(runId)).data.metrics.map((m) => [m.key, m.value]))
        expect(latest.get('a')).toBeNaN()
        expect(latest.get('b')).toBe(Infinity)
        expect(latest.get('c')).toBe(-Infinity)
        expect(latest.get('d')).toBe(-0.5)
        expect(latest.get('e')).toBe(1e-300)
        expect((await store.getMetricHistory(runId, 'a')).items[0]?.value).toBeNaN()
        expect((await store.getMetricHistory(runId, 'b')).items[0]?.value).toBe(Infinity)
        expect((await store.getMetricHistory(runId, 'c')).items[0]?.value).toBe(-Infinity)
      })

      it('keeps the latest metric by MLflow’s rule: step, then timestamp, then value', async () => {
        const runId = await newRun(experimentId)
        const latest = async (key: string): Promise<Metric | undefined> => (await store.getRun(runId)).data.metrics.find((m) => m.key === key)
        await store.logBatch(runId, { metrics: [metric('s', 1, 5, 100)] })
        await store.logBatch(runId, { metrics: [metric('s', 2, 4, 200)] }) // lower step, logged later: not latest
        expect(await latest('s')).toEqual(metric('s', 1, 5, 100))
        await store.logBatch(runId, { metrics: [metric('s', 0.5, 5, 150)] }) // same step, later time
        expect(await latest('s')).toEqual(metric('s', 0.5, 5, 150))
        await store.logBatch(runId, { metrics: [metric('s', 0.7, 5, 150), metric('s', 0.6, 5, 150)] }) // tie: larger value
        expect(await latest('s')).toEqual(metric('s', 0.7, 5, 150))
        await store.logBatch(runId, { metrics: [metric('s', 9, 7, 1), metric('s', 8, 6, 999)] }) // within a batch
        expect(await latest('s')).toEqual(metric('s', 9, 7, 1))
        await store.logBatch(runId, { metrics: [metric('n', NaN, 3, 10)] })
        await store.logBatch(runId, { metrics: [metric('n', 5, 3, 10)] }) // a tie never replaces NaN by value
        expect((await latest('n'))?.value).toBeNaN()
        await store.logBatch(runId, { metrics: [metric('n', 6, 4, 10)] })
        expect(await latest('n')).toEqual(metric('n', 6, 4, 10))
      })

      it('returns metric history in insertion order with paging across many blocks', async () => {
        const runId = await newRun(experimentId)
        const expected: Metric[] = []
        const sizes = [1, 1, 700, 1500, 3, 1000, 1]
        let n = 0
        for (const size of sizes) {
          const batch = Array.from({ length: size }, (_, i) => metric('acc', Math.sin(n + i), (n + i) % 97, 1000 + n + i))
          n += size
          expected.push(...batch)
          await store.logBatch(runId, { metrics: batch })
        }
        const all = await store.getMetricHistory(runId, 'acc', { maxResults: 25_000 })
        expect(all.nextPageToken).toBeUndefined()
        expect(all.items).toEqual(expected)
        const paged = await allPages((pageToken) =>
          store.getMetricHistory(runId, 'acc', { maxResults: 333, ...(pageToken === undefined ? {} : { pageToken }) }),
        )
        expect(paged).toEqual(expected)
        expect((await store.getMetricHistory(runId, 'missing')).items).toEqual([])
        await expectKeelError(store.getMetricHistory(runId, 'acc', { pageToken: '!!' }), 'INVALID_PARAMETER_VALUE')
      })

      it('loses no points and no param check when batches of one run arrive concurrently', async () => {
        const runId = await newRun(experimentId)
        const writers = Array.from({ length: 8 }, (_, w) =>
          store.logBatch(runId, {
            metrics: Array.from({ length: 50 }, (_, i) => metric('m', w * 1000 + i, w * 1000 + i)),
            params: [{ key: 'shared', value: 'same' }, { key: `own${w}`, value: String(w) }],
          }),
        )
        await Promise.all(writers)
        const history = await store.getMetricHistory(runId, 'm')
        expect(history.items).toHaveLength(400)
        expect(new Set(history.items.map((m) => m.step)).size).toBe(400)
        expect((await store.getRun(runId)).data.metrics).toEqual([metric('m', 7049, 7049)])
        expect((await store.getRun(runId)).data.params).toHaveLength(9)
        const conflicting = await Promise.allSettled(
          ['x', 'y', 'z'].map((value) => store.logBatch(runId, { params: [{ key: 'race', value }] })),
        )
        expect(conflicting.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      })

      it('creates exactly one of several concurrent experiments with the same name', async () => {
        const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => store.createExperiment({ name: 'race' })))
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1)
        for (const attempt of attempts) {
          if (attempt.status === 'rejected') expect((attempt.reason as KeelError).code).toBe('RESOURCE_ALREADY_EXISTS')
        }
      })

      it('deletes run tags', async () => {
        const runId = await newRun(experimentId, { tags: [{ key: 'x', value: '1' }] })
        await store.deleteTag(runId, 'x')
        expect((await store.getRun(runId)).data.tags.find((t) => t.key === 'x')).toBeUndefined()
        await expectKeelError(store.deleteTag(runId, 'x'), 'RESOURCE_DOES_NOT_EXIST')
      })

      it('deletes and restores runs; deleted runs refuse writes but can be read', async () => {
        const runId = await newRun(experimentId)
        await store.deleteRun(runId)
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('deleted')
        await store.deleteRun(runId) // idempotent
        await expectKeelError(store.logBatch(runId, { metrics: [metric('m', 1)] }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.updateRun(runId, { status: 'FINISHED' }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.deleteTag(runId, 'mlflow.runName'), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.logInputs(runId, []), 'INVALID_PARAMETER_VALUE')
        await store.restoreRun(runId)
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('active')
        await store.logBatch(runId, { metrics: [metric('m', 1)] })
        await store.deleteExperiment(experimentId)
        await store.deleteRun(runId)
        await expectKeelError(store.restoreRun(runId), 'INVALID_PARAMETER_VALUE')
      })

      it('links nested runs through the mlflow.parentRunId tag', async () => {
        const parent = await newRun(experimentId)
        const child1 = await newRun(experimentId, { tags: [{ key: 'mlflow.parentRunId', value: parent }] })
        const child2 = await newRun(experimentId, { tags: [{ key: 'mlflow.parentRunId', value: parent }] })
        await newRun(experimentId)
        const children = await searchIds({ experimentIds: [experimentId], filter: `tags.mlflow.parentRunId = '${parent}'` })
        expect(children).toEqual([child2, child1])
      })
    })

    describe('run search', () => {
      let exp: string
      let other: string
      let r: Record<string, string>
      beforeEach(async () => {
        exp = await store.createExperiment({ name: 'search' })
        other = await store.createExperiment({ name: 'search-other' })
        r = {}
        const specs = [
          { name: 'a', auc: 0.9, loss: 0.1, model: 'gbdt', team: 'Risk', user: 'ada' },
          { name: 'b', auc: 0.7, loss: NaN, model: 'linear', team: 'risk', user: 'bob' },
          { name: 'c', auc: 0.7, loss: 0.3, model: 'GBDT-v2', team: 'ops', user: 'ada' },
          { name: 'd', auc: undefined, loss: 0.2, model: undefined, team: undefined, user: 'cy' },
          { name: 'e', auc: -Infinity, loss: 0.5, model: 'gbdt', team: 'ops', user: 'bob' },
        ] as const
        for (const spec of specs) {
          const runId = await newRun(exp, { runName: spec.name, userId: spec.user })
          r[spec.name] = runId
          const metrics = [metric('loss', spec.loss)]
          if (spec.auc !== undefined) metrics.push(metric('auc', spec.auc))
          await store.logBatch(runId, {
            metrics,
            params: spec.model === undefined ? [] : [{ key: 'model', value: spec.model }],
            tags: spec.team === undefined ? [] : [{ key: 'team', value: spec.team }],
          })
        }
        await store.updateRun(r['a']!, { status: 'FINISHED', endTime: clock.now() + 1000 })
        r['x'] = await newRun(other, { runName: 'x' })
        await store.logBatch(r['x']!, { metrics: [metric('auc', 0.99)] })
      })
      const names = async (input: Omit<SearchRunsInput, 'experimentIds'> & { experimentIds?: string[] }): Promise<string[]> => {
        const byId = new Map(Object.entries(r).map(([name, id]) => [id, name]))
        return (await searchIds({ experimentIds: [exp], ...input })).map((id) => byId.get(id) ?? id)
      }

      it('returns active runs newest first by default, across the requested experiments', async () => {
        expect(await names({})).toEqual(['e', 'd', 'c', 'b', 'a'])
        expect(await names({ experimentIds: [exp, other] })).toEqual(['x', 'e', 'd', 'c', 'b', 'a'])
        expect(await names({ experimentIds: ['999999'] })).toEqual([])
      })

      it('filters on metrics with every numeric comparator (NaN matches only !=)', async () => {
        expect(await names({ filter: 'metrics.auc > 0.7' })).toEqual(['a'])
        expect(await names({ filter: 'metrics.auc >= 0.7' })).toEqual(['c', 'b', 'a'])
        expect(await names({ filter: 'metrics.auc = 0.7' })).toEqual(['c', 'b'])
        expect(await names({ filter: 'metrics.auc != 0.7' })).toEqual(['e', 'a'])
        expect(await names({ filter: 'metrics.auc < 0.7' })).toEqual(['e'])
        expect(await names({ filter: 'metrics.auc <= 0.7' })).toEqual(['e', 'c', 'b'])
        expect(await names({ filter: 'metrics.loss < 1' })).toEqual(['e', 'd', 'c', 'a'])
        expect(await names({ filter: 'metrics.loss != 0.3' })).toEqual(['e', 'd', 'b', 'a'])
        expect(await names({ filter: 'metrics.auc > 0.5 AND metrics.loss < 0.2' })).toEqual(['a'])
      })

      it('filters on params and tags with = != LIKE ILIKE', async () => {
        expect(await names({ filter: "params.model = 'gbdt'" })).toEqual(['e', 'a'])
        expect(await names({ filter: "params.model != 'gbdt'" })).toEqual(['c', 'b'])
        expect(await names({ filter: "params.model LIKE 'gb%'" })).toEqual(['e', 'a'])
        expect(await names({ filter: "params.model ILIKE 'gb%'" })).toEqual(['e', 'c', 'a'])
        expect(await names({ filter: "params.model LIKE '_inea_'" })).toEqual(['b'])
        expect(await names({ filter: "tags.team = 'risk'" })).toEqual(['b'])
        expect(await names({ filter: "tags.team ILIKE 'RISK'" })).toEqual(['b', 'a'])
        expect(await names({ filter: "tags.team != 'ops'" })).toEqual(['b', 'a'])
        expect(await names({ filter: "tags.team LIKE '%s'" })).toEqual(['e', 'c'])
        expect(await names({ filter: "params.model = 'gbdt' AND tags.team = 'ops'" })).toEqual(['e'])
      })

      it('filters on attributes', async () => {
        expect(await names({ filter: `attributes.run_id = '${r['c']!}'` })).toEqual(['c'])
        expect(await names({ filter: `run_id IN ('${r['a']!}', '${r['d']!}')` })).toEqual(['d', 'a'])
        expect(await names({ filter: `run_id NOT IN ('${r['a']!}', '${r['d']!}')` })).toEqual(['e', 'c', 'b'])
        expect(await names({ filter: "attributes.run_name = 'b'" })).toEqual(['b'])
        expect(await names({ filter: "run_name != 'b'" })).toEqual(['e', 'd', 'c', 'a'])
        expect(await names({ filter: "attributes.run_name LIKE 'A'" })).toEqual([])
        expect(await names({ filter: "attributes.run_name ILIKE 'A'" })).toEqual(['a'])
        expect(await names({ filter: "attributes.status = 'FINISHED'" })).toEqual(['a'])
        expect(await names({ filter: "attributes.user_id = 'ada'" })).toEqual(['c', 'a'])
        expect(await names({ filter: `attributes.artifact_uri LIKE '%${r['b']!}%'` })).toEqual(['b'])
        const c = await store.getRun(r['c']!)
        expect(await names({ filter: `attributes.start_time > ${c.info.startTime}` })).toEqual(['e', 'd'])
        expect(await names({ filter: `attributes.start_time <= ${c.info.startTime}` })).toEqual(['c', 'b', 'a'])
        expect(await names({ filter: `attributes.start_time >= ${c.info.startTime - 0.5}` })).toEqual(['e', 'd', 'c'])
        expect(await names({ filter: `attributes.end_time > 0` })).toEqual(['a'])
      })

      it('filters on datasets (name, digest, context) applied to the same input', async () => {
        const input = (name: string, digest: string, context: string) => ({
          dataset: { name, digest, sourceType: 'local', source: `/data/${name}.csv` },
          tags: [{ key: 'mlflow.data.context', value: context }],
        })
        await store.logInputs(r['a']!, [input('train', 'd1', 'training'), input('eval', 'd2', 'evaluation')])
        await store.logInputs(r['b']!, [input('train', 'd3', 'evaluation')])
        expect(await names({ filter: "datasets.name = 'train'" })).toEqual(['b', 'a'])
        expect(await names({ filter: "datasets.digest IN ('d2', 'd3')" })).toEqual(['b', 'a'])
        expect(await names({ filter: "datasets.context = 'training'" })).toEqual(['a'])
        expect(await names({ filter: "datasets.name = 'train' AND datasets.context = 'evaluation'" })).toEqual(['b'])
        expect(await names({ filter: "datasets.name ILIKE 'TR%'" })).toEqual(['b', 'a'])
        expect(await names({ filter: "datasets.name NOT IN ('train')" })).toEqual(['a'])
        expect(await names({ filter: "datasets.name != 'train'" })).toEqual(['a'])
      })

      it('orders by metrics with missing values (and NaN) last in both directions', async () => {
        // b and c tie on auc: ties break on start_time DESC.
        expect(await names({ orderBy: ['metrics.auc DESC'] })).toEqual(['a', 'c', 'b', 'e', 'd'])
        expect(await names({ orderBy: ['metrics.auc ASC'] })).toEqual(['e', 'c', 'b', 'a', 'd'])
        expect(await names({ orderBy: ['metrics.loss ASC'] })).toEqual(['a', 'd', 'c', 'e', 'b'])
        expect(await names({ orderBy: ['metrics.loss DESC'] })).toEqual(['e', 'c', 'd', 'a', 'b'])
        expect(await names({ filter: 'metrics.auc < 1', orderBy: ['metrics.auc DESC'] })).toEqual(['a', 'c', 'b', 'e'])
      })

      it('orders by params, tags and attributes, with secondary keys', async () => {
        expect(await names({ orderBy: ['params.model ASC'] })).toEqual(['c', 'e', 'a', 'b', 'd'])
        expect(await names({ orderBy: ['tags.team DESC'] })).toEqual(['b', 'e', 'c', 'a', 'd'])
        expect(await names({ orderBy: ['tags.team ASC', 'metrics.loss DESC'] })).toEqual(['a', 'e', 'c', 'b', 'd'])
        expect(await names({ orderBy: ['attributes.start_time ASC'] })).toEqual(['a', 'b', 'c', 'd', 'e'])
        expect(await names({ orderBy: ['run_name DESC'] })).toEqual(['e', 'd', 'c', 'b', 'a'])
        expect(await names({ orderBy: ['attributes.end_time DESC'] })).toEqual(['a', 'e', 'd', 'c', 'b'])
        expect(await names({ orderBy: ['attributes.user_id ASC', 'metrics.auc ASC'] })).toEqual(['c', 'a', 'e', 'b', 'd'])
        expect(await names({ orderBy: ['attributes.status ASC', 'metrics.auc ASC'] })).toEqual(['a', 'e', 'c', 'b', 'd'])
        expect(await names({ orderBy: ['attributes.end_time ASC'] })).toEqual(['a', 'e', 'd', 'c', 'b'])
      })

      it('honours view types', async () => {
        await store.deleteRun(r['c']!)
        expect(await names({})).toEqual(['e', 'd', 'b', 'a'])
        expect(await names({ viewType: 'DELETED_ONLY' })).toEqual(['c'])
        expect(await names({ viewType: 'ALL' })).toEqual(['e', 'd', 'c', 'b', 'a'])
        expect(await names({ viewType: 'ALL', filter: "attributes.lifecycle_stage = 'deleted'" })).toEqual(['c'])
      })

      it('pages through every result exactly once, for every kind of ordering', async () => {
        for (let i = 0; i < 12; i++) {
          const runId = await newRun(exp, { runName: `bulk-${i}` })
          await store.logBatch(runId, {
            metrics: i % 3 === 0 ? [] : [metric('auc', (i % 4) / 4), metric('loss', i % 5 === 0 ? NaN : i)],
            params: [{ key: 'model', value: `m${i % 4}` }],
          })
        }
        for (const orderBy of [undefined, ['metrics.auc DESC'], ['metrics.loss ASC', 'params.model DESC'], ['params.model ASC'], ['tags.team ASC']]) {
          for (const filter of [undefined, 'metrics.auc >= 0.25', "params.model != 'm1'"]) {
            const input: SearchRunsInput = { experimentIds: [exp], ...(orderBy === undefined ? {} : { orderBy }), ...(filter === undefined ? {} : { filter }) }
            const expected = await searchIds(input)
            for (const maxResults of [1, 3, 4]) {
              const paged = await allPages((pageToken) => store.searchRuns({ ...input, maxResults, ...(pageToken === undefined ? {} : { pageToken }) }))
              expect(paged.map((run: Run) => run.info.runId), `${JSON.stringify(input)} by ${maxResults}`).toEqual(expected)
            }
          }
        }
      })

      it('returns full runs: latest metrics, params, tags and inputs', async () => {
        const [run] = (await store.searchRuns({ experimentIds: [exp], filter: "attributes.run_name = 'a'" })).items
        expect(run?.data.metrics.map((m) => [m.key, m.value]).sort()).toEqual([
          ['auc', 0.9],
          ['loss', 0.1],
        ])
        expect(run?.data.params).toEqual([{ key: 'model', value: 'gbdt' }])
        expect(run?.data.tags).toContainEqual({ key: 'team', value: 'Risk' })
      })

      it('rejects invalid filters, order_by and page tokens', async () => {
        await expectKeelError(store.searchRuns({ experimentIds: [exp], filter: "metrics.auc > 'x'" }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.searchRuns({ experimentIds: [exp], filter: 'params.p > 1' }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.searchRuns({ experimentIds: [exp], filter: 'foo = 1' }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.searchRuns({ experimentIds: [exp], orderBy: ['datasets.name'] }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.searchRuns({ experimentIds: [exp], pageToken: 'zz' }), 'INVALID_PARAMETER_VALUE')
      })
    })

    describe('sampled history', () => {
      it('reduces each run to about maxPoints, keeping extremes, first and last points', async () => {
        const experimentId = await store.createExperiment({ name: 'charts' })
        const long = await newRun(experimentId)
        const short = await newRun(experimentId)
        const empty = await newRun(experimentId)
        const values = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 100))
        values[2500] = 50 // a spike
        values[3700] = -50
        for (let start = 0; start < values.length; start += 1000) {
          await store.logBatch(long, { metrics: values.slice(start, start + 1000).map((v, i) => metric('acc', v, start + i, 10 + start + i)) })
        }
        await store.logBatch(short, { metrics: [metric('acc', 1, 2), metric('acc', 2, 1)] })
        const [a, b, c] = await store.getSampledHistory({ runIds: [long, short, empty], key: 'acc', maxPoints: 100 })
        expect(a?.runId).toBe(long)
        expect(a?.totalPoints).toBe(5000)
        expect(a!.steps.length).toBeLessThanOrEqual(100)
        expect(a!.steps.length).toBeGreaterThan(50)
        expect(a?.steps[0]).toBe(0)
        expect(a?.steps.at(-1)).toBe(4999)
        expect(a?.values).toContain(50)
        expect(a?.values).toContain(-50)
        expect(a?.timestamps[a.steps.indexOf(2500)]).toBe(2510)
        expect([...a!.steps].sort((x, y) => x - y)).toEqual(a?.steps)
        expect(b).toEqual({ runId: short, key: 'acc', totalPoints: 2, steps: [1, 2], values: [2, 1], timestamps: [clock.now(), clock.now()] })
        expect(c).toEqual({ runId: empty, key: 'acc', totalPoints: 0, steps: [], values: [], timestamps: [] })

        const ranged = await store.getSampledHistory({ runIds: [long], key: 'acc', startStep: 1000, endStep: 1999, maxPoints: 2000 })
        expect(ranged[0]?.steps).toEqual(Array.from({ length: 1000 }, (_, i) => 1000 + i))
        expect(ranged[0]?.totalPoints).toBe(5000)
        await expectKeelError(store.getSampledHistory({ runIds: ['0'.repeat(32)], key: 'acc' }), 'RESOURCE_DOES_NOT_EXIST')
      })

      it('keeps NaN and infinite points', async () => {
        const runId = await newRun(await store.createExperiment({ name: 'nan-chart' }))
        await store.logBatch(runId, { metrics: [metric('m', NaN, 0), metric('m', Infinity, 1), metric('m', 1, 2)] })
        const [series] = await store.getSampledHistory({ runIds: [runId], key: 'm' })
        expect(series?.steps).toEqual([0, 1, 2])
        expect(series?.values[0]).toBeNaN()
        expect(series?.values.slice(1)).toEqual([Infinity, 1])
      })
    })

    describe('inputs, outputs and logged models', () => {
      let experimentId: string
      beforeEach(async () => {
        experimentId = await store.createExperiment({ name: 'models' })
      })

      it('logs dataset inputs once per run and shares datasets within the experiment', async () => {
        const run1 = await newRun(experimentId)
        const run2 = await newRun(experimentId)
        const dataset = { name: 'train', digest: 'abc123', sourceType: 'local', source: '/d/train.csv', schema: '{"a":1}', profile: '{"rows":3}' }
        const input = { dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] }
        await store.logInputs(run1, [input])
        await store.logInputs(run1, [input])
        await store.logInputs(run2, [{ dataset: { ...dataset, source: 'ignored: same name and digest' }, tags: [] }])
        const first = await store.getRun(run1)
        expect(first.inputs.datasetInputs).toEqual([input])
        const second = await store.getRun(run2)
        expect(second.inputs.datasetInputs).toEqual([{ dataset, tags: [] }])
        const minimal = { name: 'eval', digest: 'e1', sourceType: 'http', source: 'https://x/eval' }
        await store.logInputs(run2, [{ dataset: minimal, tags: [] }])
        expect((await store.getRun(run2)).inputs.datasetInputs).toContainEqual({ dataset: minimal, tags: [] })
      })

      it('creates, finalizes, tags and searches logged models', async () => {
        const runId = await newRun(experimentId)
        const model = await store.createLoggedModel({
          experimentId,
          name: 'clf',
          modelType: 'sklearn',
          sourceRunId: runId,
          params: [{ key: 'alpha', value: '1' }],
          tags: [{ key: 'stage', value: 'dev' }],
        })
        expect(model).toEqual({
          modelId: model.modelId,
          experimentId,
          name: 'clf',
          artifactUri: `mlflow-artifacts:/${experimentId}/models/${model.modelId}/artifacts`,
          creationTimestampMs: clock.now(),
          lastUpdatedTimestampMs: clock.now(),
          modelType: 'sklearn',
          sourceRunId: runId,
          status: 'LOGGED_MODEL_PENDING',
          statusMessage: '',
          lifecycleStage: 'active',
          tags: [{ key: 'stage', value: 'dev' }],
          params: [{ key: 'alpha', value: '1' }],
        })
        expect(model.modelId).toMatch(/^m-[0-9a-f]{32}$/)
        clock.advance(10)
        const ready = await store.finalizeLoggedModel(model.modelId, 'LOGGED_MODEL_READY')
        expect(ready.status).toBe('LOGGED_MODEL_READY')
        expect(ready.lastUpdatedTimestampMs).toBe(clock.now())
        await store.setLoggedModelTags(model.modelId, [{ key: 'stage', value: 'prod' }, { key: 'owner', value: 'ada' }])
        await store.deleteLoggedModelTag(model.modelId, 'owner')
        await expectKeelError(store.deleteLoggedModelTag(model.modelId, 'owner'), 'RESOURCE_DOES_NOT_EXIST')
        await store.logLoggedModelParams(model.modelId, [{ key: 'alpha', value: '1' }, { key: 'beta', value: '2' }])
        await expectKeelError(store.logLoggedModelParams(model.modelId, [{ key: 'alpha', value: '3' }]), 'INVALID_PARAMETER_VALUE')
        const fetched = await store.getLoggedModel(model.modelId)
        expect(fetched.tags).toEqual([{ key: 'stage', value: 'prod' }])
        expect(sortKeys(fetched.params)).toEqual([{ key: 'alpha', value: '1' }, { key: 'beta', value: '2' }])

        const unnamed = await store.createLoggedModel({ experimentId })
        expect(unnamed.name).not.toBe('')
        expect(unnamed.sourceRunId).toBe('')
        const ids: string[] = [unnamed.modelId, model.modelId]
        for (let i = 0; i < 4; i++) {
          clock.advance(1)
          ids.unshift((await store.createLoggedModel({ experimentId, name: `m${i}` })).modelId)
        }
        const paged = await allPages((pageToken) =>
          store.searchLoggedModels({ experimentIds: [experimentId], maxResults: 4, ...(pageToken === undefined ? {} : { pageToken }) }),
        )
        expect(new Set(paged.map((m) => m.modelId))).toEqual(new Set(ids))
        expect(paged.map((m) => m.modelId).slice(0, 4)).toEqual(ids.slice(0, 4))

        await store.deleteLoggedModel(model.modelId)
        await expectKeelError(store.getLoggedModel(model.modelId), 'RESOURCE_DOES_NOT_EXIST')
        expect((await store.searchLoggedModels({ experimentIds: [experimentId] })).items.map((m) => m.modelId)).not.toContain(model.modelId)
        await expectKeelError(store.finalizeLoggedModel('m-' + '0'.repeat(32), 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.createLoggedModel({ experimentId: '777777' }), 'RESOURCE_DOES_NOT_EXIST')
      })

      it('links runs to logged models as inputs and outputs', async () => {
        const runId = await newRun(experimentId)
        const model = await store.createLoggedModel({ experimentId, sourceRunId: runId })
        await store.logOutputs(runId, [{ modelId: model.modelId, step: 3 }])
        await store.logOutputs(runId, [{ modelId: model.modelId, step: 3 }])
        const consumer = await newRun(experimentId)
        await store.logInputs(consumer, [], [model.modelId])
        expect((await store.getRun(runId)).outputs.modelOutputs).toEqual([{ modelId: model.modelId, step: 3 }])
        expect((await store.getRun(consumer)).inputs.modelInputs).toEqual([{ modelId: model.modelId }])
        await expectKeelError(store.logOutputs(runId, [{ modelId: 'm-' + 'a'.repeat(32), step: 0 }]), 'RESOURCE_DOES_NOT_EXIST')
      })
    })

    describe('purge', () => {
      it('permanently removes runs deleted before the cut-off and returns their artifact URIs', async () => {
        const experimentId = await store.createExperiment({ name: 'gc' })
        const old = await newRun(experimentId)
        await store.logBatch(old, { metrics: [metric('m', 1)], params: [{ key: 'p', value: '1' }], tags: [{ key: 't', value: '1' }] })
        const recent = await newRun(experimentId)
        const active = await newRun(experimentId)
        const oldUri = (await store.getRun(old)).info.artifactUri
        await store.deleteRun(old)
        clock.advance(1000)
        const cutoff = clock.now()
        clock.advance(1000)
        await store.deleteRun(recent)
        const result = await store.purgeDeleted({ olderThan: cutoff })
        expect(result).toEqual({ runIds: [old], experimentIds: [], artifactUris: [oldUri] })
        await expectKeelError(store.getRun(old), 'RESOURCE_DOES_NOT_EXIST')
        expect((await store.getRun(recent)).info.lifecycleStage).toBe('deleted')
        expect((await store.getRun(active)).info.lifecycleStage).toBe('active')
        expect(await store.purgeDeleted({ olderThan: cutoff })).toEqual({ runIds: [], experimentIds: [], artifactUris: [] })
        const recentUri = (await store.getRun(recent)).info.artifactUri
        expect(await store.purgeDeleted({ olderThan: clock.now() })).toEqual({ runIds: [recent], experimentIds: [], artifactUris: [recentUri] })
      })

      it('purges deleted experiments with all their runs and frees the name', async () => {
        const experimentId = await store.createExperiment({ name: 'doomed' })
        const run1 = await newRun(experimentId)
        const run2 = await newRun(experimentId)
        await store.logInputs(run1, [{ dataset: { name: 'd', digest: 'x', sourceType: 'local', source: 's' }, tags: [] }])
        const model = await store.createLoggedModel({ experimentId })
        await store.deleteExperiment(experimentId)
        const result = await store.purgeDeleted({ olderThan: clock.now() })
        expect(result.experimentIds).toEqual([experimentId])
        expect(new Set(result.runIds)).toEqual(new Set([run1, run2]))
        expect(result.artifactUris).toContain(`mlflow-artifacts:/${experimentId}/${run1}/artifacts`)
        expect(result.artifactUris).toContain(model.artifactUri)
        await expectKeelError(store.getExperiment(experimentId), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.getRun(run2), 'RESOURCE_DOES_NOT_EXIST')
        const reborn = await store.createExperiment({ name: 'doomed' })
        expect(reborn).not.toBe(experimentId)
      })

      it('purges exactly the named ids, which must be deleted before the cut-off', async () => {
        const experimentId = await store.createExperiment({ name: 'named' })
        const a = await newRun(experimentId)
        const b = await newRun(experimentId)
        const live = await newRun(experimentId)
        await store.deleteRun(a)
        await store.deleteRun(b)
        const result = await store.purgeDeleted({ olderThan: clock.now(), runIds: [a] })
        expect(result.runIds).toEqual([a])
        expect((await store.getRun(b)).info.lifecycleStage).toBe('deleted')
        await expectKeelError(store.purgeDeleted({ olderThan: clock.now(), runIds: [live] }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.purgeDeleted({ olderThan: clock.now() - 1, runIds: [b] }), 'INVALID_PARAMETER_VALUE')
        await expectKeelError(store.purgeDeleted({ olderThan: clock.now(), runIds: ['e'.repeat(32)] }), 'RESOURCE_DOES_NOT_EXIST')
        await expectKeelError(store.purgeDeleted({ olderThan: clock.now(), experimentIds: [experimentId] }), 'INVALID_PARAMETER_VALUE')
        expect((await store.getRun(b)).info.lifecycleStage).toBe('deleted')
      })
    })
  })
}
