import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { Tracking } from './tracking.js'
import type { TrackingStore } from './tracking-store.js'

/** A store that records every call and answers undefined, to see what `Tracking` lets through. */
function recordingStore(): { store: TrackingStore; calls: Array<[string, unknown[]]> } {
  const calls: Array<[string, unknown[]]> = []
  const store = new Proxy(
    {},
    {
      get: (_target, name) => async (...args: unknown[]) => {
        calls.push([String(name), args])
        return undefined
      },
    },
  ) as TrackingStore
  return { store, calls }
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isKeelError(error)) throw new Error(`expected a KeelError, got ${String(error)}`)
  expect(error.code).toBe('INVALID_PARAMETER_VALUE')
  expect(error.status).toBe(400)
  return error.message
}

const RUN = 'a'.repeat(32)
const metric = { key: 'loss', value: 0.5, timestamp: 1, step: 2 }

describe('Tracking', () => {
  it('logs single metrics, params and tags through logBatch', async () => {
    const { store, calls } = recordingStore()
    const tracking = new Tracking(store)
    await tracking.logMetric(RUN, metric)
    await tracking.logParam(RUN, { key: 'lr', value: '0.1' })
    await tracking.setTag(RUN, { key: 'team', value: 'risk' })
    expect(calls).toEqual([
      ['logBatch', [RUN, { metrics: [metric] }]],
      ['logBatch', [RUN, { params: [{ key: 'lr', value: '0.1' }] }]],
      ['logBatch', [RUN, { tags: [{ key: 'team', value: 'risk' }] }]],
    ])
  })

  it('passes valid calls through unchanged', async () => {
    const { store, calls } = recordingStore()
    const tracking = new Tracking(store)
    const search = { experimentIds: ['0', '12'], filter: "metrics.auc > 0.5 AND params.m = 'x'", orderBy: ['metrics.auc DESC'], maxResults: 50_000 }
    await tracking.searchRuns(search)
    await tracking.createRun({ experimentId: '3', startTime: 5, runName: 'r', tags: [{ key: 'mlflow.runName', value: 'r' }] })
    await tracking.getSampledHistory({ runIds: [RUN], key: 'loss', maxPoints: 320, startStep: 0, endStep: 10 })
    await tracking.searchExperiments({ filter: "name ILIKE 'x%'", orderBy: ['name'], maxResults: 1000, viewType: 'ALL' })
    await tracking.purgeDeleted({ olderThan: 10, runIds: [RUN], experimentIds: ['4'] })
    expect(calls.map(([name]) => name)).toEqual(['searchRuns', 'createRun', 'getSampledHistory', 'searchExperiments', 'purgeDeleted'])
    expect(calls[0]?.[1]).toEqual([search])
  })

  it('rejects invalid arguments before they reach the store, naming the field', async () => {
    const { store, calls } = recordingStore()
    const tracking = new Tracking(store)
    expect(await rejection(tracking.logMetric(RUN, { ...metric, key: 'a:b' }))).toContain("'metrics[0].key'")
    expect(await rejection(tracking.logBatch(RUN, { metrics: Array.from({ length: 1001 }, () => metric) }))).toContain('1000 metrics')
    expect(await rejection(tracking.logParam(RUN, { key: 'p', value: 'x'.repeat(6001) }))).toContain('6000')
    expect(await rejection(tracking.logMetric('bad id!', metric))).toContain("'run_id'")
    expect(await rejection(tracking.getExperiment('abc'))).toContain("'experiment_id'")
    expect(await rejection(tracking.createExperiment({ name: '  ' }))).toContain("'name'")
    expect(await rejection(tracking.createExperiment({ name: 'x', artifactLocation: '' }))).toContain("'artifact_location'")
    expect(await rejection(tracking.updateRun(RUN, { status: 'DONE' as never }))).toContain("'status'")
    expect(await rejection(tracking.updateRun(RUN, { endTime: 1.5 }))).toContain("'end_time'")
    expect(await rejection(tracking.createRun({ experimentId: '1', startTime: 1, runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }))).toContain(
      'different values',
    )
    expect(await rejection(tracking.searchRuns({ experimentIds: ['1'], maxResults: 0 }))).toContain("'max_results'")
    expect(await rejection(tracking.searchRuns({ experimentIds: ['1'], maxResults: 50_001 }))).toContain('1 to 50000')
    expect(await rejection(tracking.searchRuns({ experimentIds: ['1'], filter: 'metrics.auc LIKE 1' }))).toContain('Invalid filter')
    expect(await rejection(tracking.searchRuns({ experimentIds: ['1'], orderBy: ['datasets.name'] }))).toContain('order_by')
    expect(await rejection(tracking.searchRuns({ experimentIds: ['x'] }))).toContain("'experiment_ids[0]'")
    expect(await rejection(tracking.searchRuns({ experimentIds: Array.from({ length: 1001 }, () => '1') }))).toContain('at most 1000')
    expect(await rejection(tracking.searchExperiments({ maxResults: 1001 }))).toContain('1 to 1000')
    expect(await rejection(tracking.searchExperiments({ viewType: 'SOME' as never }))).toContain("'view_type'")
    expect(await rejection(tracking.searchExperiments({ filter: 'params.x = 1' }))).toContain('Invalid filter')
    expect(await rejection(tracking.getMetricHistory(RUN, 'loss', { maxResults: 25_001 }))).toContain("'max_results'")
    expect(await rejection(tracking.getSampledHistory({ runIds: [], key: 'loss' }))).toContain("'run_ids'")
    expect(await rejection(tracking.getSampledHistory({ runIds: Array.from({ length: 101 }, () => RUN), key: 'loss' }))).toContain('at most 100')
    expect(await rejection(tracking.getSampledHistory({ runIds: [RUN], key: 'loss', startStep: 5, endStep: 1 }))).toContain("'start_step'")
    expect(await rejection(tracking.getSampledHistory({ runIds: [RUN], key: 'loss', maxPoints: 0 }))).toContain("'max_points'")
    expect(await rejection(tracking.finalizeLoggedModel('m-1', 'LOGGED_MODEL_PENDING'))).toContain('LOGGED_MODEL_READY')
    expect(await rejection(tracking.createLoggedModel({ experimentId: '1', name: 'a/b' }))).toContain('logged model name')
    expect(await rejection(tracking.searchLoggedModels({ experimentIds: ['1'], maxResults: 51 }))).toContain('1 to 50')
    expect(await rejection(tracking.logOutputs(RUN, [{ modelId: 'm-1', step: 0.5 }]))).toContain("'models[0].step'")
    expect(await rejection(tracking.purgeDeleted({ olderThan: Number.NaN }))).toContain("'older_than'")
    expect(await rejection(tracking.setExperimentTag('1', { key: 'k', value: 'v'.repeat(20_001) }))).toContain('20000')
    expect(calls).toEqual([])
  })
})
