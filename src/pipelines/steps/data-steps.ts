import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { isKeelError, KeelError } from '../../core/errors.js'
import { cellValue } from '../../core/frame.js'
import type { Frame } from '../../core/frame.js'
import { datasetDigest } from '../../data/dataset-digest.js'
import { readDataset } from '../../data/read-dataset.js'
import { randomSplit, stratifiedSplit, timeSplit } from '../../data/splits.js'
import { parseDataSchema, validateFrame } from '../../data/validation.js'
import type { StepKind, StepValue } from '../types.js'
import { badInput, checkAborted, datasetInput, fileUri, localPath, logToStepRun, objectInput, stringInput } from './step-values.js'
import type { DatasetRef } from './step-values.js'

function datasetRef(path: string, frame: Frame): DatasetRef {
  return { uri: fileUri(path), digest: datasetDigest(frame), rows: frame.rows, columns: frame.names }
}

/**
 * `keel.ingest`: a file (CSV, TSV, JSON Lines, Parquet; path or file:// URI) → a dataset reference with its
 * content digest. The data stays where it is; downstream steps read it by path.
 */
export const ingestStep: StepKind = {
  name: 'keel.ingest',
  version: '1',
  inputs: { path: 'string' },
  outputs: { dataset: 'dataset' },
  async run(context) {
    const path = localPath(stringInput(context, 'path'))
    const frame = await readDataset(path).catch((error: unknown) => {
      // A missing file may appear later (an upstream export still running): retryable; a bad format is not.
      const missing = (error as { code?: unknown }).code === 'ENOENT' || (isKeelError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST')
      if (missing) throw new KeelError('RESOURCE_DOES_NOT_EXIST', `Step '${context.step}': no file at '${path}' (yet); retrying.`, { retryable: true })
      throw error
    })
    const dataset = datasetRef(path, frame)
    await logToStepRun(context, { metrics: { rows: frame.rows, columns: frame.columns.length }, tags: { 'keel.dataset.digest': dataset.digest, 'keel.dataset.uri': dataset.uri } })
    return { dataset }
  },
}

/**
 * `keel.validate`: checks the dataset against a keel data schema (the schema object, or a path to its JSON
 * file) and fails, not retryably, listing the violations; passes the dataset on so later steps depend on it.
 */
export const validateStep: StepKind = {
  name: 'keel.validate',
  version: '1',
  inputs: { dataset: 'dataset', schema: 'json' },
  outputs: { dataset: 'dataset', report: 'json' },
  async run(context) {
    const dataset = datasetInput(context, 'dataset')
    const raw = context.inputs['schema']
    const schemaJson: unknown = typeof raw === 'string' ? JSON.parse(await readFile(localPath(raw), 'utf8')) : raw
    const schema = parseDataSchema(schemaJson)
    const frame = await readDataset(localPath(dataset.uri))
    const report = validateFrame(frame, schema)
    const violations = report.violations.map((v) => JSON.parse(JSON.stringify(v)) as StepValue)
    await logToStepRun(context, { metrics: { violations: report.violations.length } })
    if (report.violations.length > 0) {
      const shown = report.violations.slice(0, 10).map((v) => `  - ${v.message}`)
      const more = report.violations.length > 10 ? `\n  … and ${report.violations.length - 10} more` : ''
      throw new KeelError(
        'INVALID_PARAMETER_VALUE',
        `Step '${context.step}': ${dataset.uri} breaks its schema in ${report.violations.length} place(s):\n${shown.join('\n')}${more}\nFix the data or the schema.`,
        { retryable: false, details: { violations: report.violations.length } },
      )
    }
    return { dataset, report: { valid: true, rows: frame.rows, violations } }
  },
}

/**
 * `keel.split`: train/test files from a dataset. `options`: `{ testFraction, seed?, stratify?: <target> }` or
 * `{ time: <column>, testFraction | cutoff }`. The files are content-addressed (input digest + options) beside
 * the input, so a rerun writes the same bytes to the same place.
 */
export const splitStep: StepKind = {
  name: 'keel.split',
  version: '1',
  inputs: { dataset: 'dataset', options: 'json' },
  outputs: { train: 'dataset', test: 'dataset' },
  async run(context) {
    const dataset = datasetInput(context, 'dataset')
    const options = objectInput(context, 'options')
    const testFraction = options['testFraction']
    const seed = typeof options['seed'] === 'number' ? options['seed'] : 42
    const frame = await readDataset(localPath(dataset.uri))
    checkAborted(context)
    let split
    if (typeof options['time'] === 'string') {
      const cutoff = options['cutoff']
      split = typeof cutoff === 'number' || typeof cutoff === 'string' ? timeSplit(frame, options['time'], { cutoff }) : timeSplit(frame, options['time'], { testFraction: Number(testFraction) })
    } else {
      if (typeof testFraction !== 'number') throw badInput(context, 'options', 'needs testFraction (a number between 0 and 1).')
      split =
        typeof options['stratify'] === 'string'
          ? stratifiedSplit(frame, options['stratify'], { testFraction, seed })
          : randomSplit(frame, { testFraction, seed })
    }
    const key = createHash('sha256').update(`${dataset.digest}\0${JSON.stringify(options, Object.keys(options).sort())}`).digest('hex').slice(0, 16)
    const source = localPath(dataset.uri)
    const dir = join(dirname(source), '.keel-splits', `${basename(source, extname(source))}-${key}`)
    await mkdir(dir, { recursive: true })
    const out: Record<string, StepValue> = {}
    for (const [name, part] of [['train', split.train], ['test', split.test]] as const) {
      const path = join(dir, `${name}.csv`)
      // Written to a temp name and renamed, so a crash mid-write never leaves a file a rerun would trust.
      await writeFile(`${path}.partial`, frameToCsv(part))
      await rename(`${path}.partial`, path)
      out[name] = datasetRef(path, part)
    }
    await logToStepRun(context, { metrics: { train_rows: split.train.rows, test_rows: split.test.rows } })
    return out
  },
}

function csvCell(value: number | string | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value)
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** A frame as CSV; numbers print in full precision so a reread gives the same digest. */
export function frameToCsv(frame: Frame): string {
  const columns = frame.columns
  const lines = [columns.map((c) => csvCell(c.name)).join(',')]
  const cells: string[] = new Array<string>(columns.length)
  for (let r = 0; r < frame.rows; r++) {
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!
      const value = cellValue(column, r)
      cells[c] = column.kind === 'numeric' && column.dtype === 'datetime' && value !== null ? new Date(Number(value)).toISOString() : csvCell(value)
    }
    lines.push(cells.join(','))
  }
  return lines.join('\n') + '\n'
}
