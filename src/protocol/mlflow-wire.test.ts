import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import type { ModelVersion, Webhook } from '../registry/types.js'
import type { LoggedModel, Run } from '../tracking/types.js'
import { ENDPOINTS } from './endpoints.js'
import {
  fromWireLoggedModel,
  fromWireMetric,
  fromWireModelVersion,
  fromWireRun,
  fromWireSampledSeries,
  fromWireWebhook,
  fromWireWebhookEvent,
  toWireLoggedModel,
  toWireMetric,
  toWireModelVersion,
  toWireRun,
  toWireSampledSeries,
  toWireWebhook,
  toWireWebhookEvent,
} from './mlflow-wire.js'
import { fastVariant } from './fast-schema.js'
import { parseRequest, queryToMessage } from './parse-request.js'
import { formatDouble, toDouble, toInt64 } from './wire-numbers.js'

const run: Run = {
  info: {
    runId: 'a'.repeat(32),
    runName: 'brave-fox-1',
    experimentId: '3',
    userId: 'ada',
    status: 'FINISHED',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_005_000,
    artifactUri: `mlflow-artifacts:/3/${'a'.repeat(32)}/artifacts`,
    lifecycleStage: 'active',
  },
  data: {
    metrics: [
      { key: 'loss', value: Number.NaN, timestamp: 5, step: 2 },
      { key: 'gain', value: Number.NEGATIVE_INFINITY, timestamp: 6, step: 3 },
      { key: 'auc', value: 0.93, timestamp: 7, step: 4 },
    ],
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 'mlflow.user', value: 'ada' }],
  },
  inputs: {
    datasetInputs: [
      { dataset: { name: 'train', digest: 'abc', sourceType: 'local', source: 'file.csv', schema: '{}' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
    ],
    modelInputs: [{ modelId: 'm-1' }],
  },
  outputs: { modelOutputs: [{ modelId: 'm-2', step: 7 }] },
}

describe('wire numbers', () => {
  it('accepts int64 as numbers or digit strings and refuses what a double cannot hold exactly', () => {
    expect(toInt64(42)).toBe(42)
    expect(toInt64('-17')).toBe(-17)
    expect(toInt64('1.5')).toBeUndefined()
    expect(toInt64(1.5)).toBeUndefined()
    expect(toInt64('99999999999999999999')).toBeUndefined()
    expect(toInt64(true)).toBeUndefined()
  })

  it('round-trips non-finite doubles through their protobuf spellings', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -3]) {
      const wire = formatDouble(value)
      expect(Object.is(toDouble(wire), value)).toBe(true)
    }
    expect(formatDouble(Number.NaN)).toBe('NaN')
    expect(formatDouble(Number.NEGATIVE_INFINITY)).toBe('-Infinity')
    expect(toDouble('2.5')).toBe(2.5)
    expect(toDouble('abc')).toBeUndefined()
    expect(toDouble('')).toBeUndefined()
  })
})

describe('mlflow-wire', () => {
  it('writes a run in MLflow shape and reads it back unchanged', () => {
    const wire = toWireRun(run)
    expect(wire.info).toMatchObject({ run_id: run.info.runId, run_uuid: run.info.runId, end_time: 1_700_000_005_000, status: 'FINISHED' })
    expect(wire.data.metrics).toEqual([
      { key: 'loss', value: 'NaN', timestamp: 5, step: 2 },
      { key: 'gain', value: '-Infinity', timestamp: 6, step: 3 },
      { key: 'auc', value: 0.93, timestamp: 7, step: 4 },
    ])
    expect(wire.inputs?.dataset_inputs?.[0]?.dataset).toEqual({ name: 'train', digest: 'abc', source_type: 'local', source: 'file.csv', schema: '{}' })
    const back = fromWireRun(JSON.parse(JSON.stringify(wire)) as typeof wire)
    expect(back.data.metrics[0]?.value).toBeNaN()
    expect(back.data.metrics[1]?.value).toBe(Number.NEGATIVE_INFINITY)
    expect({ ...back, data: { ...back.data, metrics: [] } }).toEqual({ ...run, data: { ...run.data, metrics: [] } })
  })

  it('omits end_time of a running run and reads it back as null', () => {
    const wire = toWireRun({ ...run, info: { ...run.info, status: 'RUNNING', endTime: null } })
    expect('end_time' in wire.info).toBe(false)
    expect(fromWireRun(wire).info.endTime).toBeNull()
  })

  it('defaults what MLflow leaves out when reading', () => {
    const back = fromWireRun({
      info: { run_id: 'r', run_name: 'n', experiment_id: '0', user_id: 'u', status: 'RUNNING', start_time: 1, artifact_uri: 'x', lifecycle_stage: 'active' },
      data: {},
    })
    expect(back.data).toEqual({ metrics: [], params: [], tags: [] })
    expect(back.inputs).toEqual({ datasetInputs: [], modelInputs: [] })
    expect(fromWireMetric({ key: 'k', value: 'Infinity', timestamp: '12' as unknown as number, step: 3 })).toEqual({
      key: 'k',
      value: Number.POSITIVE_INFINITY,
      timestamp: 12,
      step: 3,
    })
    expect(toWireMetric({ key: 'k', value: 1, timestamp: 2, step: 3 }, 'r1').run_id).toBe('r1')
  })

  it('carries keel lineage on model versions and omits unset optional strings', () => {
    const version: ModelVersion = {
      name: 'fraud',
      version: '3',
      creationTimestamp: 10,
      lastUpdatedTimestamp: 11,
      description: '',
      userId: 'ada',
      currentStage: 'None',
      source: 'mlflow-artifacts:/0/r/artifacts/model',
      runId: 'r',
      runLink: '',
      status: 'READY',
      statusMessage: '',
      tags: [],
      aliases: ['champion'],
      modelId: '',
      lineage: {
        artifactDigest: 'sha',
        environment: { node: 'v20', keel: '0.1.0', lockfileHash: 'lock' },
        signature: { inputs: [{ name: 'x', type: 'double', required: true }], outputs: [{ name: 'y', type: 'long' }] },
        inputExample: { x: [1, 2] },
      },
    }
    const wire = toWireModelVersion(version)
    expect(wire).not.toHaveProperty('description')
    expect(wire).not.toHaveProperty('run_link')
    expect(wire.lineage).toEqual({
      artifact_digest: 'sha',
      environment: { node: 'v20', keel: '0.1.0', lockfile_hash: 'lock' },
      signature: { inputs: [{ name: 'x', type: 'double', required: true }], outputs: [{ name: 'y', type: 'long' }] },
      input_example: { x: [1, 2] },
    })
    expect(fromWireModelVersion(JSON.parse(JSON.stringify(wire)) as typeof wire)).toEqual(version)
  })

  it('round-trips logged models, webhooks and sampled series', () => {
    const model: LoggedModel = {
      modelId: 'm-1',
      experimentId: '0',
      name: 'model',
      artifactUri: 'mlflow-artifacts:/0/models/m-1/artifacts',
      creationTimestampMs: 1,
      lastUpdatedTimestampMs: 2,
      modelType: '',
      sourceRunId: 'r',
      status: 'LOGGED_MODEL_READY',
      statusMessage: '',
      lifecycleStage: 'active',
      tags: [{ key: 'a', value: 'b' }],
      params: [{ key: 'p', value: '1' }],
    }
    expect(fromWireLoggedModel(toWireLoggedModel(model))).toEqual(model)
    const webhook: Webhook = {
      webhookId: 'wh-1',
      name: 'ci',
      url: 'https://ci.example/hook',
      events: ['model_version_alias.created', 'registered_model.created'],
      description: 'd',
      status: 'ACTIVE',
      creationTimestamp: 1,
      lastUpdatedTimestamp: 1,
      hasSecret: true,
    }
    const wireHook = toWireWebhook(webhook)
    expect(wireHook.events[0]).toEqual({ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' })
    expect(fromWireWebhook(wireHook)).toEqual(webhook)
    expect(fromWireWebhookEvent(toWireWebhookEvent('model_version_tag.set'))).toBe('model_version_tag.set')
    const series = { runId: 'r', key: 'loss', totalPoints: 10, steps: [0, 5], values: [Number.NaN, 1], timestamps: [1, 2] }
    const wireSeries = toWireSampledSeries(series)
    expect(wireSeries.values).toEqual(['NaN', 1])
    const back = fromWireSampledSeries(wireSeries)
    expect(back.values[0]).toBeNaN()
    expect(back.steps).toEqual([0, 5])
  })
})

describe('request parsing', () => {
  it('coerces int64 strings and metric spellings and names the bad field', () => {
    const input = parseRequest(ENDPOINTS.logMetric.request, { run_id: 'r', key: 'k', value: 'NaN', timestamp: '17', step: 2 })
    expect(input.value).toBeNaN()
    expect(input.timestamp).toBe(17)
    let caught: unknown
    try {
      parseRequest(ENDPOINTS.logBatch.request, { run_id: 'r', metrics: [{ key: 'k', value: 1, timestamp: 'soon' }] })
    } catch (error) {
      caught = error
    }
    expect(isKeelError(caught) && caught.code).toBe('INVALID_PARAMETER_VALUE')
    expect((caught as Error).message).toContain("'metrics[0].timestamp'")
  })

  it('reports a missing required field as MLflow does', () => {
    expect(() => parseRequest(ENDPOINTS.createExperiment.request, {})).toThrow("Missing value for required parameter 'name'")
    expect(() => parseRequest(ENDPOINTS.createExperiment.request, { name: 5 })).toThrow(
      "Invalid value 5 for parameter 'name' supplied: expected a string",
    )
  })

  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, [], 'x', 3]) {
      let caught: unknown
      try {
        parseRequest(ENDPOINTS.createExperiment.request, body)
      } catch (error) {
        caught = error
      }
      expect(isKeelError(caught) && caught.code).toBe('BAD_REQUEST')
    }
  })

  it('accepts enums by name or number', () => {
    expect(parseRequest(ENDPOINTS.updateRun.request, { run_id: 'r', status: 'KILLED' }).status).toBe('KILLED')
    expect(parseRequest(ENDPOINTS.updateRun.request, { run_id: 'r', status: 3 }).status).toBe('FINISHED')
    expect(() => parseRequest(ENDPOINTS.updateRun.request, { run_id: 'r', status: 'DONE' })).toThrow('expected one of RUNNING')
  })

  it('reads webhook events in both MLflow and keel spelling', () => {
    const input = parseRequest(ENDPOINTS.createWebhook.request, {
      name: 'w',
      url: 'http://x',
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }, 'model_version_alias.deleted', { entity: 4, action: 1 }],
    })
    expect(input.events).toEqual(['model_version.created', 'model_version_alias.deleted', 'model_version_alias.created'])
    expect(() => parseRequest(ENDPOINTS.createWebhook.request, { name: 'w', url: 'http://x', events: ['prompt.created'] })).toThrow(
      'unknown event',
    )
  })

  it('turns query parameters into a message: repeated keys and key[] are lists, a single value is a list too', () => {
    const shape = ENDPOINTS.getMetricHistoryBulkInterval.request.shape
    expect(queryToMessage({ run_ids: ['a', 'b'], metric_key: 'loss' }, shape)).toEqual({ run_ids: ['a', 'b'], metric_key: 'loss' })
    expect(queryToMessage({ 'run_ids[]': 'a', metric_key: 'loss' }, shape)).toEqual({ run_ids: ['a'], metric_key: 'loss' })
    expect(queryToMessage({ run_ids: 'a', 'run_ids[]': ['b'] }, shape)).toEqual({ run_ids: ['a', 'b'] })
    const repeatedScalar = queryToMessage({ metric_key: ['a', 'b'] }, shape)
    expect(() => parseRequest(ENDPOINTS.getMetricHistoryBulkInterval.request, { ...repeatedScalar, run_ids: ['r'] })).toThrow(
      "parameter 'metric_key'",
    )
  })
})

describe('fast request parsing', () => {
  it('gives exactly what the lenient schema gives, and leaves refusals to it', () => {
    const messages: Array<[keyof typeof ENDPOINTS, Record<string, unknown>]> = [
      ['logBatch', { run_id: 'r', metrics: [{ key: 'k', value: 1.5, timestamp: 2, step: 3 }], extra: true }],
      ['logBatch', { run_id: 'r', metrics: [{ key: 'k', value: 'NaN', timestamp: '2' }] }],
      ['logBatch', { run_id: 'r', metrics: [{ key: 'k', value: 1, timestamp: 2.5 }] }],
      ['logBatch', { run_id: 'r', metrics: [{ key: 'k', value: 1, timestamp: 2 ** 60 }] }],
      ['updateRun', { run_id: 'r', status: 'KILLED', end_time: 5 }],
      ['updateRun', { run_id: 'r', status: 4 }],
      ['searchRuns', { experiment_ids: ['1'], run_view_type: 'ALL', max_results: 10 }],
      ['transitionStage', { name: 'm', version: 3, stage: 'staging', archive_existing_versions: 'true' }],
      ['transitionStage', { name: 'm', version: '3', stage: 'Production', archive_existing_versions: false }],
    ]
    for (const [name, message] of messages) {
      const schema = ENDPOINTS[name].request
      const fast = fastVariant(schema)
      const outcome = (withFast: boolean): unknown => {
        try {
          return { ok: parseRequest(schema, message, withFast ? fast : undefined) }
        } catch (error) {
          return { error: (error as Error).message }
        }
      }
      expect(outcome(true), name).toEqual(outcome(false))
    }
  })

  it('validates a 1000-metric batch of plain JSON with plain types', () => {
    const fast = fastVariant(ENDPOINTS.logBatch.request)
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: i / 7, timestamp: i, step: i }))
    expect(fast.safeParse({ run_id: 'r', metrics }).success).toBe(true)
    expect(fast.safeParse({ run_id: 'r', metrics: [{ key: 'loss', value: 'NaN', timestamp: 1 }] }).success).toBe(false)
  })
})
