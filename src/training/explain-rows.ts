import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import type { Keel } from '../client/keel.js'
import { invalidParameter, notFound } from '../core/errors.js'
import { categoricalColumn, Frame, numericColumn, type Column, type Row } from '../core/frame.js'
import { shapEnsembleFor, TreeShapExplainer } from '../evaluation/explain/index.js'
import type { FittedPipeline } from '../features/pipeline.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import type { Predictor } from '../models/predictor.js'
import {
  BACKGROUND_FILE,
  backgroundFromJson,
  EXPLANATIONS_DIR,
  explainedGroups,
  IMPORTANCE_FILE,
  inputOrigins,
  isTreeModel,
  needsBackground,
  outputSpace,
  shapInput,
  type StoredImportance,
} from './explanations.js'
import { resolveModelSource } from './load-trained-model.js'
import { loadModelFiles, MANIFEST_FILE, readJsonArtifact } from './trained-model.js'

/** One output of one row: base value + Σ contributions = sum, which equals what the model computes. */
export interface OutputExplanation {
  /** The class explained (its label), or the target for regression. */
  output: string
  /** The expected output over the training data (TreeSHAP's bias). */
  baseValue: number
  /** Per raw input column, largest |value| first. */
  contributions: Array<{ feature: string; value: number }>
  /** baseValue + Σ contributions. */
  sum: number
  /** The model's own output for the row in the same space (margin, probability or value); equals `sum`. */
  modelValue: number
}

export interface RowExplanations {
  kind: string
  /** What the values add up to, e.g. "the log-odds of 1". */
  space: string
  /** Per row, one entry per output explained (one for regression and binary models, one per class else). */
  rows: OutputExplanation[][]
}

/**
 * Exact TreeSHAP explanations of single rows (JSON, raw input columns as for `predict`) for a registered tree
 * model: keel's gbdt, random forest and decision tree (through the saved feature pipeline; a column's
 * contribution sums those of the model features derived from it) and imported XGBoost models.
 *
 * @example
 * const [row] = (await explainRows(keel, 'models:/fraud@champion', [{ amount: 240.5, hour: 2 }])).rows
 * row[0].contributions.slice(0, 3) // the three largest contributions to the log-odds of fraud
 */
export async function explainRows(keel: Keel, modelUri: string, rows: readonly Row[]): Promise<RowExplanations> {
  const source = await resolveModelSource(keel, modelUri)
  const model = await loadExplainable(keel, source)
  const { predictor } = model
  if (!isTreeModel(predictor)) {
    throw invalidParameter(
      `'${modelUri}' is a '${predictor.kind}' model; exact per-row explanations need a tree model (gbdt, random-forest, decision-tree, XGBoost). Its global importance (keel models explain) is by permutation.`,
    )
  }
  const features = featureFrame(model.pipeline, predictor, rows)
  const ensemble = shapEnsembleFor(predictor, model.background === undefined ? {} : { background: model.background })
  const shap = new TreeShapExplainer(ensemble).explainFrame(shapInput(predictor, features), predictor.features)
  const modelValues = outputValues(predictor, features, shap.nGroups)
  const groups = explainedGroups(predictor, shap.nGroups)
  const origin = model.pipeline === undefined ? new Map<string, string>() : inputOrigins(model.pipeline)
  const inputs = model.pipeline === undefined ? [...predictor.features] : model.pipeline.inputs.map((c) => c.name)
  const column = new Map(inputs.map((name, c) => [name, c]))
  const index = predictor.features.map((f) => column.get(origin.get(f) ?? f) ?? -1)
  const width = predictor.features.length + 1
  const classes = predictor.classes ?? []
  const out: OutputExplanation[][] = []
  for (let i = 0; i < shap.rows; i++) {
    const explained: OutputExplanation[] = []
    for (const g of groups) {
      const at = (i * shap.nGroups + g) * width
      const byInput = new Float64Array(inputs.length)
      for (let f = 0; f < index.length; f++) if (index[f]! >= 0) byInput[index[f]!]! += shap.values[at + f]!
      const baseValue = shap.values[at + width - 1]!
      let sum = baseValue
      for (let f = 0; f < width - 1; f++) sum += shap.values[at + f]!
      const contributions = inputs.map((feature, c) => ({ feature, value: byInput[c]! }))
      contributions.sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      const output = predictor.task === 'regression' ? predictor.target : shap.nGroups === 1 ? (classes[1] ?? '1') : (classes[g] ?? String(g))
      explained.push({ output, baseValue, contributions, sum, modelValue: modelValues[i * shap.nGroups + g]! })
    }
    out.push(explained)
  }
  return { kind: predictor.kind, space: outputSpace(predictor), rows: out }
}

/**
 * The global importances stored with a model by `train()` (`model/explanations/global_importance.json`),
 * for a `models:/` URI, `runs:/<id>/model` or an artifact URI.
 */
export async function loadGlobalImportance(keel: Keel, modelUri: string): Promise<StoredImportance> {
  const source = await resolveModelSource(keel, modelUri)
  const file = `${EXPLANATIONS_DIR}/${IMPORTANCE_FILE}`
  const info = await keel.artifacts.stat(`${artifactPathFromUri(source).replace(/\/+$/, '')}/${file}`).catch(() => undefined)
  if (info === undefined || info.isDir) {
    throw notFound(
      `'${modelUri}' has no stored importances (${file}): it was imported, or trained before keel logged explanations. Retrain it with keel train, or use permutationImportance.`,
    )
  }
  const doc = (await readJsonArtifact(keel.artifacts, source, file)) as Partial<StoredImportance> | null
  if (doc === null || typeof doc !== 'object' || doc.format !== 'keel-global-importance' || !Array.isArray(doc.features)) {
    throw invalidParameter(`'${file}' of '${modelUri}' is not a keel importance file (format 'keel-global-importance'); retrain the model.`)
  }
  return doc as StoredImportance
}

interface Explainable {
  predictor: Predictor
  pipeline?: FittedPipeline
  background?: Frame
}

async function loadExplainable(keel: Keel, source: string): Promise<Explainable> {
  const manifest = (await readJsonArtifact(keel.artifacts, source, MANIFEST_FILE)) as { format?: unknown; modelFormat?: unknown; file?: unknown; classes?: unknown } | null
  if (manifest !== null && typeof manifest === 'object' && manifest.format === 'keel-imported-model') {
    if (manifest.modelFormat !== 'xgboost' || typeof manifest.file !== 'string') {
      throw invalidParameter(`The model at '${source}' is an imported ${String(manifest.modelFormat)} model; only XGBoost imports have trees to explain.`)
    }
    const json = await readJsonArtifact(keel.artifacts, source, manifest.file)
    const classes = Array.isArray(manifest.classes) ? (manifest.classes as string[]) : undefined
    return { predictor: XgboostPredictor.fromJson(json, classes === undefined ? {} : { classes }) }
  }
  const model = await loadModelFiles(keel.artifacts, source)
  const loaded: Explainable = { predictor: model.predictor, pipeline: model.pipeline }
  if (needsBackground(model.predictor)) {
    const file = `${EXPLANATIONS_DIR}/${BACKGROUND_FILE}`
    const info = await keel.artifacts.stat(`${artifactPathFromUri(source).replace(/\/+$/, '')}/${file}`)
    if (info === undefined) {
      throw invalidParameter(`The ${model.predictor.kind} model at '${source}' has no ${file} (logged by train() for forests); retrain it to explain its predictions.`)
    }
    loaded.background = backgroundFromJson(await readJsonArtifact(keel.artifacts, source, file), source)
  }
  return loaded
}

/** Rows → the model's features: through the pipeline for keel models, by column name for imports (null = NaN). */
function featureFrame(pipeline: FittedPipeline | undefined, predictor: Predictor, rows: readonly Row[]): Frame {
  const names = predictor.features
  const columns = names.map(() => new Float64Array(rows.length))
  if (pipeline !== undefined) {
    const position = names.map((n) => pipeline.outputFeatures.indexOf(n))
    const missing = names.filter((_, j) => position[j]! < 0)
    if (missing.length > 0) throw invalidParameter(`The model reads feature(s) ${missing.join(', ')} that its pipeline does not produce; the model files are inconsistent.`)
    if (pipeline.hasCategoricalOutputs) return recordFrame(pipeline, names, rows)
    const buffer = new Float64Array(pipeline.outputFeatures.length)
    rows.forEach((row, i) => {
      pipeline.transformRow(row, buffer)
      for (let j = 0; j < names.length; j++) columns[j]![i] = buffer[position[j]!]!
    })
  } else {
    rows.forEach((row, i) => {
      for (let j = 0; j < names.length; j++) {
        const v = row[names[j]!]
        if (v === null || v === undefined) columns[j]![i] = Number.NaN
        else if (typeof v === 'number') columns[j]![i] = v
        else if (typeof v === 'boolean') columns[j]![i] = v ? 1 : 0
        else if (v.trim() !== '' && Number.isFinite(Number(v))) columns[j]![i] = Number(v)
        else throw invalidParameter(`Row ${i}: '${names[j]!}' is ${JSON.stringify(v)}; the model reads numbers (null when missing).`)
      }
    })
  }
  return new Frame(names.map((name, j) => numericColumn(name, columns[j]!)))
}

/** Rows → features through a pipeline that passes category strings through (gbdt): categorical columns stay strings. */
function recordFrame(pipeline: FittedPipeline, names: readonly string[], rows: readonly Row[]): Frame {
  const records = rows.map((row) => pipeline.transformRecord(row))
  const columns = names.map((name): Column => {
    if (pipeline.outputKinds[pipeline.outputFeatures.indexOf(name)] === 'categorical') {
      return categoricalColumn(name, records.map((r) => r[name] as string | null))
    }
    return numericColumn(name, Float64Array.from(records, (r) => r[name] as number))
  })
  return new Frame(columns)
}

/** What the model itself computes, rows × nGroups, in TreeSHAP's output space for it. */
function outputValues(predictor: Predictor, features: Frame, nGroups: number): Float64Array {
  const margin = (predictor as { predictMargin?: (frame: Frame) => Float64Array }).predictMargin
  if (typeof margin === 'function') return margin.call(predictor, features)
  if (predictor.task === 'classification') {
    const proba = predictor.predictProba(features)
    if (proba.length !== features.rows * nGroups) throw invalidParameter(`The model gives ${proba.length / Math.max(1, features.rows)} probabilities per row for ${nGroups} explained outputs.`)
    return proba
  }
  return predictor.predict(features)
}
