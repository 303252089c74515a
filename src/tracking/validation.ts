import { invalidParameter } from '../core/errors.js'
import { parseFilter, parseOrderBy } from './search-filter.js'
import type { FilterClause, OrderByClause } from './search-filter.js'
import type { LogBatchInput } from './tracking-store.js'
import { RUN_STATUSES } from './types.js'
import type { DatasetInput, LoggedModelStatus, Metric, Param, RunStatus, Tag, ViewType } from './types.js'

/** MLflow's limits (mlflow/utils/validation.py, service.proto), enforced by `Tracking` above every store. */
export const TRACKING_LIMITS = {
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  maxTagValueLength: 8000,
  maxExperimentTagValueLength: 20_000,
  maxRunNameLength: 250,
  maxExperimentNameLength: 500,
  maxBatchMetrics: 1000,
  maxBatchParams: 100,
  maxBatchTags: 100,
  maxBatchEntries: 1000,
  maxSearchRunsResults: 50_000,
  maxSearchExperimentsResults: 1000,
  maxMetricHistoryResults: 25_000,
  maxLoggedModelsResults: 50,
  maxSampledRuns: 100,
  maxSearchExperimentIds: 1000,
  maxSampledPoints: 100_000,
  maxDatasetNameLength: 500,
  maxDatasetDigestLength: 128,
} as const

export const DEFAULT_MAX_RESULTS = {
  searchRuns: 1000,
  searchExperiments: 1000,
  metricHistory: 25_000,
  loggedModels: 50,
  sampledPoints: 320,
} as const

const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']
const KEY_PATTERN = /^[\p{L}\p{N}_\-. /]+$/u
const RUN_ID_PATTERN = /^[a-zA-Z0-9][\w-]{0,255}$/
const MODEL_ID_PATTERN = /^[\w-]{1,256}$/
const EXPERIMENT_ID_PATTERN = /^\d{1,18}$/

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

export function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidParameter(`'${field}' must be a string; got ${show(value)}.`)
  return value
}

function requireNonEmpty(field: string, value: unknown): string {
  const text = requireString(field, value)
  if (text === '') throw invalidParameter(`'${field}' must not be empty.`)
  return text
}

/** Keys of metrics, params and tags: MLflow's character set, at most 250 characters, safe as a file path. */
export function validateKey(field: string, key: unknown): string {
  const text = requireNonEmpty(field, key)
  if (text.length > TRACKING_LIMITS.maxKeyLength) {
    throw invalidParameter(`'${field}' is ${text.length} characters long; keys hold at most ${TRACKING_LIMITS.maxKeyLength}.`)
  }
  if (!KEY_PATTERN.test(text)) {
    throw invalidParameter(
      `Invalid value ${show(text)} for '${field}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    )
  }
  // Keys may become file names (MLflow's file store), so they must not resolve to another path.
  for (const segment of text.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidParameter(
        `Invalid value ${show(text)} for '${field}': names must be relative paths without empty, '.' or '..' segments (no leading, trailing or double '/').`,
      )
    }
  }
  return text
}

export function validateInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalidParameter(`'${field}' must be an integer; got ${show(value)}.`)
  }
  return value
}

function validateMaxResults(field: string, value: number | undefined, max: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidParameter(`'${field}' must be an integer from 1 to ${max}; got ${show(value)}.`)
  }
}

export function validateMaxResultsFor(
  kind: 'runs' | 'experiments' | 'metricHistory' | 'loggedModels',
  value: number | undefined,
): void {
  const max = {
    runs: TRACKING_LIMITS.maxSearchRunsResults,
    experiments: TRACKING_LIMITS.maxSearchExperimentsResults,
    metricHistory: TRACKING_LIMITS.maxMetricHistoryResults,
    loggedModels: TRACKING_LIMITS.maxLoggedModelsResults,
  }[kind]
  validateMaxResults('max_results', value, max)
}

export function validateRunId(field: string, value: unknown): string {
  const text = requireNonEmpty(field, value)
  if (!RUN_ID_PATTERN.test(text)) {
    throw invalidParameter(`Invalid value ${show(text)} for '${field}': run ids are letters, digits, '_' and '-' (e.g. 32 hex characters).`)
  }
  return text
}

export function validateExperimentId(field: string, value: unknown): string {
  const text = requireNonEmpty(field, value)
  if (!EXPERIMENT_ID_PATTERN.test(text)) {
    throw invalidParameter(`Invalid value ${show(text)} for '${field}': experiment ids are strings of digits such as '0' or '12'.`)
  }
  return text
}

export function validateModelId(field: string, value: unknown): string {
  const text = requireNonEmpty(field, value)
  if (!MODEL_ID_PATTERN.test(text)) {
    throw invalidParameter(`Invalid value ${show(text)} for '${field}': logged model ids look like 'm-' and 32 hex characters.`)
  }
  return text
}

export function validateExperimentName(field: string, value: unknown): string {
  const text = requireString(field, value)
  if (text.trim() === '') throw invalidParameter(`'${field}' must be a non-empty experiment name.`)
  if (text.length > TRACKING_LIMITS.maxExperimentNameLength) {
    throw invalidParameter(`'${field}' is ${text.length} characters long; experiment names hold at most ${TRACKING_LIMITS.maxExperimentNameLength}.`)
  }
  return text
}

export function validateRunName(field: string, value: unknown): string {
  const text = requireString(field, value)
  if (text.length > TRACKING_LIMITS.maxRunNameLength) {
    throw invalidParameter(`'${field}' is ${text.length} characters long; run names hold at most ${TRACKING_LIMITS.maxRunNameLength}.`)
  }
  return text
}

export function validateRunStatus(field: string, value: unknown): RunStatus {
  if (!RUN_STATUSES.includes(value as RunStatus)) {
    throw invalidParameter(`Invalid value ${show(value)} for '${field}': use one of ${RUN_STATUSES.join(', ')}.`)
  }
  return value as RunStatus
}

export function validateViewType(field: string, value: unknown): ViewType | undefined {
  if (value === undefined) return undefined
  if (!VIEW_TYPES.includes(value as ViewType)) {
    throw invalidParameter(`Invalid value ${show(value)} for '${field}': use one of ${VIEW_TYPES.join(', ')}.`)
  }
  return value as ViewType
}

export function validateLoggedModelFinalStatus(field: string, value: unknown): LoggedModelStatus {
  if (value !== 'LOGGED_MODEL_READY' && value !== 'LOGGED_MODEL_UPLOAD_FAILED') {
    throw invalidParameter(`Invalid value ${show(value)} for '${field}': finalize a logged model as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.`)
  }
  return value
}

export function validateMetric(field: string, metric: Metric): void {
  validateKey(`${field}.key`, metric.key)
  if (typeof metric.value !== 'number') {
    throw invalidParameter(`'${field}.value' must be a number (NaN and ±Infinity are allowed); got ${show(metric.value)}.`)
  }
  validateInteger(`${field}.timestamp`, metric.timestamp)
  validateInteger(`${field}.step`, metric.step)
}

export function validateParam(field: string, param: Param): void {
  validateKey(`${field}.key`, param.key)
  const value = requireString(`${field}.value`, param.value)
  if (value.length > TRACKING_LIMITS.maxParamValueLength) {
    throw invalidParameter(
      `'${field}.value' (param '${param.key}') is ${value.length} characters long; param values hold at most ${TRACKING_LIMITS.maxParamValueLength}.`,
    )
  }
}

export function validateTag(field: string, tag: Tag, maxValueLength: number = TRACKING_LIMITS.maxTagValueLength): void {
  validateKey(`${field}.key`, tag.key)
  const value = requireString(`${field}.value`, tag.value)
  if (value.length > maxValueLength) {
    throw invalidParameter(`'${field}.value' (tag '${tag.key}') is ${value.length} characters long; tag values hold at most ${maxValueLength}.`)
  }
}

export function validateTags(field: string, tags: readonly Tag[] | undefined, maxValueLength?: number): void {
  if (tags === undefined) return
  if (!Array.isArray(tags)) throw invalidParameter(`'${field}' must be a list of {key, value}.`)
  tags.forEach((tag, i) => validateTag(`${field}[${i}]`, tag, maxValueLength))
}

export function validateParams(field: string, params: readonly Param[] | undefined): void {
  if (params === undefined) return
  if (!Array.isArray(params)) throw invalidParameter(`'${field}' must be a list of {key, value}.`)
  params.forEach((param, i) => validateParam(`${field}[${i}]`, param))
  rejectConflictingParams(params)
}

/** A batch may repeat a param with the same value, never with two different values. */
function rejectConflictingParams(params: readonly Param[]): void {
  const seen = new Map<string, string>()
  for (const param of params) {
    const previous = seen.get(param.key)
    if (previous !== undefined && previous !== param.value) {
      throw invalidParameter(
        `Duplicate parameter keys have been submitted with different values: '${param.key}' is given as '${previous}' and '${param.value}'. Send one value per param key.`,
      )
    }
    seen.set(param.key, param.value)
  }
}

/** MLflow's log-batch rules: sizes first (the message names the limit), then every entry. */
export function validateLogBatch(input: LogBatchInput): void {
  const metrics = input.metrics ?? []
  const params = input.params ?? []
  const tags = input.tags ?? []
  for (const [field, list] of [['metrics', metrics], ['params', params], ['tags', tags]] as const) {
    if (!Array.isArray(list)) throw invalidParameter(`'${field}' must be a list.`)
  }
  const tooMany = (what: string, count: number, max: number): never => {
    throw invalidParameter(`A log-batch request may hold at most ${max} ${what}; got ${count}. Split it into several calls.`)
  }
  if (metrics.length > TRACKING_LIMITS.maxBatchMetrics) tooMany('metrics', metrics.length, TRACKING_LIMITS.maxBatchMetrics)
  if (params.length > TRACKING_LIMITS.maxBatchParams) tooMany('params', params.length, TRACKING_LIMITS.maxBatchParams)
  if (tags.length > TRACKING_LIMITS.maxBatchTags) tooMany('tags', tags.length, TRACKING_LIMITS.maxBatchTags)
  const total = metrics.length + params.length + tags.length
  if (total > TRACKING_LIMITS.maxBatchEntries) {
    tooMany('entries in total (metrics + params + tags)', total, TRACKING_LIMITS.maxBatchEntries)
  }
  metrics.forEach((metric, i) => validateMetric(`metrics[${i}]`, metric))
  validateParams('params', params)
  validateTags('tags', tags)
}

export function validateDatasetInputs(field: string, inputs: readonly DatasetInput[]): void {
  if (!Array.isArray(inputs)) throw invalidParameter(`'${field}' must be a list of dataset inputs.`)
  inputs.forEach((input, i) => {
    const at = `${field}[${i}]`
    const dataset = input?.dataset
    if (dataset === undefined || dataset === null || typeof dataset !== 'object') {
      throw invalidParameter(`'${at}.dataset' is required: {name, digest, source_type, source}.`)
    }
    const name = requireNonEmpty(`${at}.dataset.name`, dataset.name)
    if (name.length > TRACKING_LIMITS.maxDatasetNameLength) {
      throw invalidParameter(`'${at}.dataset.name' holds at most ${TRACKING_LIMITS.maxDatasetNameLength} characters.`)
    }
    const digest = requireNonEmpty(`${at}.dataset.digest`, dataset.digest)
    if (digest.length > TRACKING_LIMITS.maxDatasetDigestLength) {
      throw invalidParameter(`'${at}.dataset.digest' holds at most ${TRACKING_LIMITS.maxDatasetDigestLength} characters.`)
    }
    requireNonEmpty(`${at}.dataset.source_type`, dataset.sourceType)
    requireString(`${at}.dataset.source`, dataset.source)
    if (dataset.schema !== undefined) requireString(`${at}.dataset.schema`, dataset.schema)
    if (dataset.profile !== undefined) requireString(`${at}.dataset.profile`, dataset.profile)
    validateTags(`${at}.tags`, input.tags ?? [])
  })
}

const RUN_ORDER_ATTRIBUTES = new Set(['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage', 'start_time', 'end_time'])

/** Parses `order_by` items of `runs/search`; datasets and unknown attributes are rejected. */
export function parseRunOrderBy(items: readonly string[] | undefined): OrderByClause[] {
  if (items === undefined) return []
  if (!Array.isArray(items)) throw invalidParameter(`'order_by' must be a list such as ['metrics.rmse DESC'].`)
  return items.map((item) => {
    const clause = parseOrderBy(requireString('order_by', item))
    if (clause.type === 'dataset') throw invalidParameter(`Invalid order_by '${item}': runs cannot be ordered by datasets.`)
    if (clause.type === 'attribute' && !RUN_ORDER_ATTRIBUTES.has(clause.key)) {
      throw invalidParameter(
        `Invalid order_by '${item}': unknown attribute '${clause.key}'; use run_id, run_name, status, user_id, artifact_uri, start_time or end_time.`,
      )
    }
    return clause
  })
}

const EXPERIMENT_STRING_ATTRIBUTES = new Set(['name'])
const EXPERIMENT_NUMBER_ATTRIBUTES = new Set(['creation_time', 'last_update_time'])
const EXPERIMENT_ORDER_ATTRIBUTES = new Set(['name', 'creation_time', 'last_update_time', 'experiment_id'])

/** Parses an `experiments/search` filter: `name`, `creation_time`, `last_update_time`, `tags.<k>`. */
export function parseExperimentFilter(filter: string | undefined): FilterClause[] {
  const clauses = parseFilter(filter)
  for (const clause of clauses) {
    const bad = (why: string): never => {
      throw invalidParameter(`Invalid filter '${filter}': ${why}.`)
    }
    const stringComparator = ['=', '!=', 'LIKE', 'ILIKE'].includes(clause.comparator)
    if (clause.type === 'tag') {
      if (!stringComparator) bad(`tags compare with = != LIKE ILIKE, not ${clause.comparator}`)
      if (typeof clause.value !== 'string') bad(`'tags.${clause.key}' must be compared with a quoted string`)
    } else if (clause.type === 'attribute' && EXPERIMENT_STRING_ATTRIBUTES.has(clause.key)) {
      if (!stringComparator) bad(`'${clause.key}' compares with = != LIKE ILIKE, not ${clause.comparator}`)
      if (typeof clause.value !== 'string') bad(`'${clause.key}' must be compared with a quoted string`)
    } else if (clause.type === 'attribute' && EXPERIMENT_NUMBER_ATTRIBUTES.has(clause.key)) {
      if (!['=', '!=', '>', '>=', '<', '<='].includes(clause.comparator)) bad(`'${clause.key}' compares with = != > >= < <=`)
      if (typeof clause.value !== 'number') bad(`'${clause.key}' must be compared with an unquoted number`)
    } else {
      bad(`experiments can be filtered by name, creation_time, last_update_time and tags.<key>, not '${clause.type === 'attribute' ? clause.key : `${clause.type}s.${clause.key}`}'`)
    }
  }
  return clauses
}

/** Parses `order_by` items of `experiments/search`: `name`, `creation_time`, `last_update_time`, `experiment_id`. */
export function parseExperimentOrderBy(items: readonly string[] | undefined): OrderByClause[] {
  if (items === undefined) return []
  if (!Array.isArray(items)) throw invalidParameter(`'order_by' must be a list such as ['name ASC'].`)
  return items.map((item) => {
    const clause = parseOrderBy(requireString('order_by', item))
    if (clause.type !== 'attribute' || !EXPERIMENT_ORDER_ATTRIBUTES.has(clause.key)) {
      throw invalidParameter(`Invalid order_by '${item}': experiments order by name, creation_time, last_update_time or experiment_id.`)
    }
    return clause
  })
}
