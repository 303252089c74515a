import { invalidParameter } from '../../core/errors.js'
import { answerValues, finite, predictionAt } from './answer-values.js'
import type { ServedVersion } from '../types.js'
import type { Scores } from '../../scoring/scoring-model.js'
import { frameFromColumnDict, frameFromCsv, frameFromLists, frameFromRecords, frameFromSplit, show } from './request-frame.js'
import type { InputSchema, RequestColumns } from './request-frame.js'

/**
 * MLflow's scoring protocol (`POST /invocations`): the body formats MLflow's pyfunc server accepts, and its
 * `{"predictions": [...]}` answer plus keel's `model_name`, `model_version` and `prediction_ids`.
 */

export const INVOCATION_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const

/** The request's rows: `body` is parsed JSON, or the CSV text of a `text/csv` request. */
export function invocationsColumns(schema: InputSchema, body: unknown, maxRows: number): RequestColumns {
  if (typeof body === 'string') return frameFromCsv(schema, body, maxRows)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameter(`The body must be a JSON object with one of ${INVOCATION_FORMATS.join(', ')}, got ${show(body)}.`)
  }
  const record = body as Record<string, unknown>
  let format: (typeof INVOCATION_FORMATS)[number] | undefined
  for (const key of INVOCATION_FORMATS) {
    if (record[key] === undefined || !Object.hasOwn(record, key)) continue
    if (format !== undefined) throw invalidParameter(`The body has both '${format}' and '${key}'; send exactly one of ${INVOCATION_FORMATS.join(', ')}.`)
    format = key
  }
  switch (format) {
    case 'dataframe_split':
      return frameFromSplit(schema, record['dataframe_split'], maxRows)
    case 'dataframe_records': {
      const rows = record['dataframe_records']
      if (!Array.isArray(rows)) throw invalidParameter(`dataframe_records must be a list of {column: value} objects, got ${show(rows)}.`)
      return frameFromRecords(schema, rows, maxRows, 'dataframe_records')
    }
    case 'instances':
    case 'inputs': {
      const value = record[format]
      if (Array.isArray(value)) return rowsOf(schema, value, maxRows, format)
      if (format === 'inputs' && value !== null && typeof value === 'object') {
        return frameFromColumnDict(schema, value as Record<string, unknown>, maxRows, 'inputs')
      }
      throw invalidParameter(
        format === 'inputs'
          ? `inputs must be a list of rows or an object of column → list of values, got ${show(value)}.`
          : `instances must be a list of rows (objects or lists), got ${show(value)}.`,
      )
    }
    default:
      throw invalidParameter(`The body has none of ${INVOCATION_FORMATS.join(', ')}; e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}}.`)
  }
}

/** A list of records or of lists (decided by the first row; mixed lists fail on the odd row). */
function rowsOf(schema: InputSchema, rows: readonly unknown[], maxRows: number, what: string): RequestColumns {
  const first = rows[0]
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) return frameFromRecords(schema, rows, maxRows, what)
  return frameFromLists(schema, rows, maxRows, what)
}

/**
 * The answer body. Classifiers answer one record per row, `{"prediction": label, "probability_<class>": p}`
 * (as a pyfunc returning a DataFrame would); regressors a number per row; multi-output models a list per row.
 */
export function invocationsBody(served: ServedVersion, scores: Scores, rows: number, ids: readonly string[]): string {
  const values = answerValues(served, scores, rows)
  const predictions = new Array<unknown>(rows)
  const { classes, width } = values
  const proba = scores.proba
  if (width > 1) {
    for (let r = 0; r < rows; r++) {
      const row = new Array<number | null>(width)
      for (let j = 0; j < width; j++) row[j] = finite(scores.prediction[r * width + j]!)
      predictions[r] = row
    }
  } else if (classes !== undefined && proba !== undefined) {
    const k = classes.length
    const keys = classes.map((c) => `probability_${c}`)
    for (let r = 0; r < rows; r++) {
      const record: Record<string, number | string | null> = { prediction: predictionAt(values, r) }
      for (let c = 0; c < k; c++) record[keys[c]!] = finite(proba[r * k + c]!)
      predictions[r] = record
    }
  } else {
    for (let r = 0; r < rows; r++) predictions[r] = predictionAt(values, r)
  }
  return JSON.stringify({ predictions, model_name: served.model, model_version: served.version, prediction_ids: ids })
}
