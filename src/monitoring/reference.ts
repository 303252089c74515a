import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { Keel } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import { categoricalColumn, cellValue, Frame, MISSING_CODE, type Column, type NumericDType } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { resolveModelSource } from '../training/load-trained-model.js'
import { MODEL_DIR } from '../training/trained-model.js'
import { parseProfile, profileFrame, type ProfileOptions } from './profile.js'
import type { DatasetProfile } from './types.js'

/**
 * Every model version keeps the data it is monitored against beside the model, so registered versions carry it:
 * `model/monitoring/reference-profile.json` (the DatasetProfile of the reference inputs and the model's outputs on
 * them) and `model/monitoring/reference-sample.json` (a seeded sample of at most 50,000 of those rows, columnar
 * JSON: drift tests need raw values, quality checks need the profile). keel's `train()` uses the holdout rows:
 * same distribution as training, but unseen by the model, so its scores there are as honest as in production.
 * When the true labels are known they ride in the sample as `__label` (never an input: `loadReference` splits it
 * off), so CBPE can calibrate the model's probabilities on the reference (NannyML's labelled reference period).
 */

export const REFERENCE_DIR = 'monitoring'
export const REFERENCE_PROFILE_FILE = 'reference-profile.json'
export const REFERENCE_SAMPLE_FILE = 'reference-sample.json'
export const MAX_REFERENCE_SAMPLE_ROWS = 50_000
/** The sample column holding the true labels; the double underscore keeps it apart from feature names. */
export const REFERENCE_LABEL_COLUMN = '__label'

/** True outcomes of the reference rows (class labels of a classifier, numbers of a regressor); null when unknown. */
export type ReferenceLabels = Column | ReadonlyArray<number | string | null>

export interface ReferenceOptions extends ProfileOptions {
  /** Rows kept in the sample (default and maximum 50,000). */
  maxSampleRows?: number
  /** The true outcome of each input row: stored in the sample (not the profile) for CBPE's calibration. */
  labels?: ReferenceLabels
}

export interface Reference {
  profile: DatasetProfile
  /** Inputs and outputs only. */
  sample: Frame
  /** The true outcome per sample row as text (class labels as the model names them; null unknown), when stored. */
  labels?: Array<string | null>
}

export interface SavedReference {
  /** Artifact-store paths of the two files. */
  profilePath: string
  samplePath: string
  profiledRows: number
  sampleRows: number
}

/** The model's outputs as serving captures them: `prediction` (a class label or a number) and `probability_<class>`. */
export interface OutputModel {
  readonly task: 'classification' | 'regression'
  readonly classes: readonly string[] | undefined
  predictFrame(frame: Frame): Float64Array
  predictProbaFrame(frame: Frame): Float64Array
}

/** Scores `inputs` with a trained model into the output columns serving would capture. */
export function referenceOutputs(model: OutputModel, inputs: Frame): Frame {
  const predicted = model.predictFrame(inputs)
  if (model.task !== 'classification' || model.classes === undefined) {
    return new Frame([{ kind: 'numeric', name: 'prediction', dtype: 'float', values: predicted }])
  }
  const classes = model.classes
  const codes = new Int32Array(predicted.length)
  for (let i = 0; i < predicted.length; i++) {
    const c = predicted[i]!
    codes[i] = Number.isInteger(c) && c >= 0 && c < classes.length ? c : MISSING_CODE
  }
  const columns: Column[] = [{ kind: 'categorical', name: 'prediction', codes, categories: classes }]
  const proba = model.predictProbaFrame(inputs)
  const k = classes.length
  for (let c = 0; c < k; c++) {
    const values = new Float64Array(inputs.rows)
    for (let i = 0; i < inputs.rows; i++) values[i] = proba[i * k + c]!
    columns.push({ kind: 'numeric', name: `probability_${classes[c]!}`, dtype: 'float', values })
  }
  return new Frame(columns)
}

/** A seeded sample of at most `maxRows` rows, in their original order. */
export function sampleRows(frame: Frame, maxRows: number, seed: number): Frame {
  if (frame.rows <= maxRows) return frame
  const picked = createRandom(seed).permutation(frame.rows).subarray(0, maxRows).sort()
  return frame.take(picked)
}

/** Logs the reference files into `model/monitoring/` of run `runId` (call it after the model is logged, before registering). */
export async function saveReference(keel: Keel, runId: string, inputs: Frame, outputs: Frame, options: ReferenceOptions = {}): Promise<SavedReference> {
  const run = await keel.tracking.getRun(runId)
  const root = `${storePath(run.info.artifactUri, `run ${runId}`)}/${MODEL_DIR}`
  return writeReference(keel.artifacts, root, inputs, outputs, options)
}

/**
 * For versions keel did not train (imports): logs the reference files under the version's model directory
 * (`<source>/monitoring/`, i.e. `model/monitoring/` of the version's run). The version's recorded artifact
 * digest was taken at registration and does not cover these files.
 */
export async function saveReferenceForVersion(keel: Keel, modelUri: string, inputs: Frame, outputs: Frame, options: ReferenceOptions = {}): Promise<SavedReference> {
  const source = await resolveModelSource(keel, modelUri)
  return writeReference(keel.artifacts, storePath(source, modelUri), inputs, outputs, options)
}

/** The reference of a model version (`models:/…`, `runs:/…/model` or an artifact URI); undefined when it has none. */
export async function loadReference(keel: Keel, modelUri: string): Promise<Reference | undefined> {
  const source = await resolveModelSource(keel, modelUri)
  const root = `${storePath(source, modelUri)}/${REFERENCE_DIR}`
  const profileText = await readText(keel.artifacts, `${root}/${REFERENCE_PROFILE_FILE}`)
  const sampleText = await readText(keel.artifacts, `${root}/${REFERENCE_SAMPLE_FILE}`)
  if (profileText === undefined || sampleText === undefined) return undefined
  const profile = parseProfile(parseJson(profileText, `${modelUri}: ${REFERENCE_PROFILE_FILE}`), `${modelUri}: ${REFERENCE_PROFILE_FILE}`)
  const stored = sampleFromJson(parseJson(sampleText, `${modelUri}: ${REFERENCE_SAMPLE_FILE}`), `${modelUri}: ${REFERENCE_SAMPLE_FILE}`)
  if (!stored.has(REFERENCE_LABEL_COLUMN)) return { profile, sample: stored }
  const labelColumn = stored.column(REFERENCE_LABEL_COLUMN)
  const labels = new Array<string | null>(stored.rows)
  for (let i = 0; i < stored.rows; i++) {
    const v = cellValue(labelColumn, i)
    labels[i] = v === null ? null : String(v)
  }
  return { profile, sample: stored.select(stored.names.filter((n) => n !== REFERENCE_LABEL_COLUMN)), labels }
}

/** Labels as a sample column (categorical text, so `1` and `"1"` both name class "1"). */
function labelColumn(labels: ReferenceLabels, rows: number): Column {
  const values: Array<string | null> = new Array<string | null>(rows)
  const n = 'kind' in labels ? (labels.kind === 'numeric' ? labels.values.length : labels.codes.length) : labels.length
  if (n !== rows) throw invalidParameter(`The reference has ${rows} rows but ${n} labels; pass one label (or null) per input row.`)
  for (let i = 0; i < rows; i++) {
    const v = 'kind' in labels ? cellValue(labels, i) : labels[i]
    values[i] = v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : String(v)
  }
  return categoricalColumn(REFERENCE_LABEL_COLUMN, values)
}

/** Columnar JSON: numbers as arrays (missing as null), categories as a dictionary plus codes (−1 missing). */
export function sampleToJson(frame: Frame): unknown {
  return {
    format: 'keel-reference-sample',
    formatVersion: 1,
    rows: frame.rows,
    columns: frame.columns.map((c) =>
      c.kind === 'numeric'
        ? { name: c.name, kind: 'numeric', dtype: c.dtype, values: Array.from(c.values, (v) => (Number.isFinite(v) ? v : null)) }
        : { name: c.name, kind: 'categorical', categories: c.categories, codes: Array.from(c.codes) },
    ),
  }
}

export function sampleFromJson(doc: unknown, source = 'reference sample'): Frame {
  const d = doc as { format?: unknown; rows?: unknown; columns?: unknown } | null
  if (d === null || typeof d !== 'object' || d.format !== 'keel-reference-sample' || !Array.isArray(d.columns)) {
    throw invalidParameter(`${source} is not a keel reference sample (format 'keel-reference-sample').`)
  }
  const columns = d.columns.map((raw: unknown, i): Column => {
    const c = raw as { name?: unknown; kind?: unknown; dtype?: unknown; values?: unknown; categories?: unknown; codes?: unknown } | null
    if (c === null || typeof c !== 'object' || typeof c.name !== 'string') throw invalidParameter(`${source}: column ${i} has no name.`)
    if (c.kind === 'numeric' && Array.isArray(c.values)) {
      const values = Float64Array.from(c.values as unknown[], (v) => (typeof v === 'number' ? v : Number.NaN))
      const dtype = (['float', 'int', 'bool', 'datetime'].includes(String(c.dtype)) ? c.dtype : 'float') as NumericDType
      return { kind: 'numeric', name: c.name, dtype, values }
    }
    if (c.kind === 'categorical' && Array.isArray(c.categories) && Array.isArray(c.codes)) {
      const categories = (c.categories as unknown[]).map(String)
      const codes = Int32Array.from(c.codes as unknown[], (v) => (typeof v === 'number' && v >= 0 && v < categories.length ? v : MISSING_CODE))
      return { kind: 'categorical', name: c.name, codes, categories }
    }
    throw invalidParameter(`${source}: column '${c.name}' is neither numeric {values} nor categorical {categories, codes}.`)
  })
  return new Frame(columns)
}

async function writeReference(artifacts: ArtifactStore, modelRoot: string, inputs: Frame, outputs: Frame, options: ReferenceOptions): Promise<SavedReference> {
  if (inputs.rows !== outputs.rows) {
    throw invalidParameter(`The reference inputs have ${inputs.rows} rows but the outputs ${outputs.rows}; pass the model's outputs on exactly those inputs.`)
  }
  for (const name of outputs.names) {
    if (inputs.has(name)) throw invalidParameter(`Output column '${name}' is also an input column; rename one so the reference can hold both.`)
  }
  if (inputs.has(REFERENCE_LABEL_COLUMN) || outputs.has(REFERENCE_LABEL_COLUMN)) {
    throw invalidParameter(`'${REFERENCE_LABEL_COLUMN}' is reserved for the reference labels; rename that column.`)
  }
  const maxRows = options.maxSampleRows ?? MAX_REFERENCE_SAMPLE_ROWS
  if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > MAX_REFERENCE_SAMPLE_ROWS) {
    throw invalidParameter(`maxSampleRows must be an integer in [1, ${MAX_REFERENCE_SAMPLE_ROWS}], got ${maxRows}.`)
  }
  const all = new Frame([...inputs.columns, ...outputs.columns])
  const profile = profileFrame(all, options)
  // The labels go in the sample only: the profile is what live windows are checked against, and they have none.
  const labelled = options.labels === undefined ? all : all.withColumn(labelColumn(options.labels, all.rows))
  const sample = sampleRows(labelled, maxRows, options.seed ?? 0)
  const dir = `${modelRoot}/${REFERENCE_DIR}`
  const profilePath = `${dir}/${REFERENCE_PROFILE_FILE}`
  const samplePath = `${dir}/${REFERENCE_SAMPLE_FILE}`
  await artifacts.put(profilePath, Buffer.from(JSON.stringify(profile)))
  await artifacts.put(samplePath, Buffer.from(JSON.stringify(sampleToJson(sample))))
  return { profilePath, samplePath, profiledRows: all.rows, sampleRows: sample.rows }
}

function storePath(uri: string, what: string): string {
  let path: string
  try {
    path = artifactPathFromUri(uri)
  } catch (error) {
    throw invalidParameter(`The artifacts of ${what} are at '${uri}', outside keel's artifact store, so keel cannot keep reference data there.`, { cause: error })
  }
  return path.replace(/\/+$/, '')
}

async function readText(artifacts: ArtifactStore, path: string): Promise<string | undefined> {
  const info = await artifacts.stat(path)
  if (info === undefined || info.isDir) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of (await artifacts.get(path)).body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw invalidParameter(`${source} is not valid JSON: ${(error as Error).message}.`)
  }
}
