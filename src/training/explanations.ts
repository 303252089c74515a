import { invalidParameter } from '../core/errors.js'
import { Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { permutationImportance, shapEnsembleFor, TreeShapExplainer } from '../evaluation/explain/index.js'
import type { ShapTree } from '../evaluation/explain/index.js'
import { logLoss } from '../evaluation/probability-metrics.js'
import { meanSquaredError } from '../evaluation/regression-metrics.js'
import type { FittedPipeline } from '../features/pipeline.js'
import type { Predictor, Task } from '../models/predictor.js'
import type { PipelinePredictor } from './trained-model.js'

/** Beside the model files: `model/explanations/…`, so a registered version carries them. */
export const EXPLANATIONS_DIR = 'explanations'
export const IMPORTANCE_FILE = 'global_importance.json'
export const IMPORTANCE_CHART_FILE = 'global_importance.svg'
/** keel forests only: the training rows whose counts per node are TreeSHAP's covers (forests keep none). */
export const BACKGROUND_FILE = 'shap_background.json'
/** Run and model-version tag: the five most important input columns, comma-separated. */
export const TOP_FEATURES_TAG = 'keel.explain.top_features'

/** Default cap on the holdout rows explained for the global importance. */
export const DEFAULT_IMPORTANCE_ROWS = 5_000
/**
 * TreeSHAP costs about Σ over trees of leaves · (depth + 1)² per row (measured: about 5·10⁸ units/s here, so
 * 1 ms a row for 100 rounds of 31 leaves). Past this many units (about two seconds) fewer rows are explained,
 * down to MIN_SHAP_ROWS: a 100-tree forest of deep trees would otherwise take minutes on 5,000 rows, while
 * mean |SHAP| is stable long before that. The rows used are recorded with the importances.
 */
const SHAP_WORK_BUDGET = 1e9
const MIN_SHAP_ROWS = 200
const BACKGROUND_ROWS = 2_000
const PERMUTATION_REPEATS = 5

/** `model/explanations/global_importance.json`: what the UI and `keel models explain` show. */
export interface StoredImportance {
  format: 'keel-global-importance'
  formatVersion: 1
  /** mean_abs_shap: mean |TreeSHAP| (tree models); permutation: mean metric loss when a column is shuffled. */
  method: 'mean_abs_shap' | 'permutation'
  /** What the values measure, e.g. "mean |SHAP| of the log-odds of 1". */
  unit: string
  /** Holdout rows explained, and how many there were to sample from. */
  rows: number
  holdoutRows: number
  seed: number
  /** Permutation only: the metric whose loss is measured, and the shuffles per column. */
  metric?: string
  repeats?: number
  /** Raw input columns (before the feature pipeline), most important first. */
  features: Array<{ feature: string; importance: number; std?: number; modelFeatures?: string[] }>
}

export interface ImportanceOptions {
  target: string
  task: Task
  seed: number
  maxRows?: number
  /** Raw training rows, for keel forests' covers (see BACKGROUND_FILE). */
  background?: Frame
}

/**
 * Global importances of a trained model over (a seeded sample of) the holdout rows, per raw input column:
 * TreeSHAP for tree models (a column's contribution is the sum over the model features derived from it,
 * e.g. its one-hot columns), permutation importance otherwise.
 */
export async function computeGlobalImportance(
  composite: PipelinePredictor,
  holdout: Frame,
  options: ImportanceOptions,
): Promise<{ importance: StoredImportance; background?: Frame }> {
  const maxRows = options.maxRows ?? DEFAULT_IMPORTANCE_ROWS
  if (!Number.isInteger(maxRows) || maxRows < 1) throw invalidParameter(`explain.maxRows must be a positive integer, got ${maxRows}.`)
  const { pipeline, predictor } = composite
  const inputs = pipeline.inputs.map((c) => c.name)
  if (isTreeModel(predictor)) {
    const background = needsBackground(predictor) && options.background !== undefined ? backgroundSample(pipeline, options.background, options.seed) : undefined
    const ensemble = shapEnsembleFor(predictor, background === undefined ? {} : { background })
    // The explainer checks the trees first, so the cost walk below only ever sees well-formed ones.
    const explainer = new TreeShapExplainer(ensemble)
    const rows = Math.min(maxRows, holdout.rows, Math.max(MIN_SHAP_ROWS, Math.floor(SHAP_WORK_BUDGET / shapCostPerRow(ensemble.trees))))
    const sample = sampleRows(holdout, rows, options.seed)
    const shap = explainer.explainFrame(shapInput(predictor, pipeline.transform(sample)), predictor.features)
    const groups = explainedGroups(predictor, shap.nGroups)
    const origin = inputOrigins(pipeline)
    const sums = new Float64Array(inputs.length)
    const perRow = new Float64Array(inputs.length)
    const width = predictor.features.length + 1
    const index = predictor.features.map((f) => inputs.indexOf(origin.get(f) ?? f))
    for (let i = 0; i < shap.rows; i++) {
      for (const g of groups) {
        perRow.fill(0)
        const at = (i * shap.nGroups + g) * width
        for (let f = 0; f < index.length; f++) if (index[f]! >= 0) perRow[index[f]!]! += shap.values[at + f]!
        for (let c = 0; c < inputs.length; c++) sums[c]! += Math.abs(perRow[c]!)
      }
    }
    const features = inputs.map((feature, c) => withModelFeatures({ feature, importance: sums[c]! / Math.max(1, shap.rows) }, feature, predictor.features, origin))
    const importance: StoredImportance = {
      format: 'keel-global-importance',
      formatVersion: 1,
      method: 'mean_abs_shap',
      unit: `mean |SHAP| of ${outputSpace(predictor)}`,
      rows: shap.rows,
      holdoutRows: holdout.rows,
      seed: options.seed,
      features: sortFeatures(features),
    }
    return background === undefined ? { importance } : { importance, background }
  }

  const sample = sampleRows(holdout, Math.min(maxRows, holdout.rows), options.seed)
  const classification = options.task === 'classification'
  const yTrue = classification ? classIndices(sample, options.target, predictor.classes ?? []) : sample.numeric(options.target)
  const result = await permutationImportance(
    (frame) => (classification ? composite.predictProbaFrame(frame) : composite.predictFrame(frame)),
    sample,
    yTrue,
    classification ? (y, p) => logLoss(y, p) : (y, p) => meanSquaredError(y, p),
    { repeats: PERMUTATION_REPEATS, seed: options.seed, greaterIsBetter: false, features: inputs },
  )
  const metric = classification ? 'log_loss' : 'mean_squared_error'
  const origin = inputOrigins(pipeline)
  return {
    importance: {
      format: 'keel-global-importance',
      formatVersion: 1,
      method: 'permutation',
      unit: `increase in ${metric} when the column is shuffled`,
      rows: sample.rows,
      holdoutRows: holdout.rows,
      seed: options.seed,
      metric,
      repeats: result.repeats,
      features: sortFeatures(result.importances.map((r) => withModelFeatures({ feature: r.feature, importance: r.mean, std: r.std }, r.feature, predictor.features, origin))),
    },
  }
}

/**
 * The model features as the numbers TreeSHAP compares: gbdt models with categorical splits turn their
 * category columns into the codes their trees read (`encodeFrame`); other models read the frame as is.
 */
export function shapInput(predictor: Predictor, features: Frame): Frame {
  const encode = (predictor as { encodeFrame?: (frame: Frame) => Frame }).encodeFrame
  return typeof encode === 'function' ? encode.call(predictor, features) : features
}

/** Whether TreeSHAP applies: boosted trees (gbdt, XGBoost) or keel's forests and decision trees. */
export function isTreeModel(predictor: Predictor): boolean {
  return typeof (predictor as { trees?: unknown }).trees === 'function' || needsBackground(predictor)
}

/** keel forests store no per-node row counts, so TreeSHAP needs rows to count them with. */
export function needsBackground(predictor: Predictor): boolean {
  return typeof (predictor as { trees?: unknown }).trees !== 'function' && (predictor as { forest?: unknown }).forest !== undefined
}

/**
 * The outputs worth explaining: a forest's binary classifier has two probability outputs that mirror each
 * other (p and 1 − p), so only the positive class's is used; everything else explains every output.
 */
export function explainedGroups(predictor: Predictor, nGroups: number): number[] {
  if (predictor.task === 'classification' && nGroups === 2) return [1]
  return Array.from({ length: nGroups }, (_, g) => g)
}

/** What the SHAP values of a tree model add up to, in words. */
export function outputSpace(predictor: Predictor): string {
  const boosted = typeof (predictor as { trees?: unknown }).trees === 'function'
  if (predictor.task === 'regression') return `the predicted ${predictor.target}`
  const classes = predictor.classes ?? []
  if (boosted) return classes.length === 2 ? `the log-odds of ${classes[1]}` : 'the class margins (log-odds scale)'
  return classes.length === 2 ? `the probability of ${classes[1]}` : 'the class probabilities'
}

/** Model feature → the raw input column it is derived from (every keel transform works column by column). */
export function inputOrigins(pipeline: FittedPipeline): Map<string, string> {
  const current = pipeline.inputs.map((c) => ({ name: c.name, origin: c.name }))
  for (const transform of pipeline.transforms) {
    for (const step of transform.steps) {
      const at = current.findIndex((c) => c.name === step.input)
      if (at < 0) continue
      const origin = current[at]!.origin
      current.splice(at, 1, ...step.outputs.map((name) => ({ name, origin })))
    }
  }
  return new Map(current.map((c) => [c.name, c.origin]))
}

function withModelFeatures(
  entry: { feature: string; importance: number; std?: number },
  input: string,
  modelFeatures: readonly string[],
  origin: Map<string, string>,
): StoredImportance['features'][number] {
  const derived = modelFeatures.filter((f) => (origin.get(f) ?? f) === input)
  // Only worth storing when the pipeline renamed or split the column (one-hot, …).
  return derived.length === 1 && derived[0] === input ? entry : { ...entry, modelFeatures: derived }
}

function sortFeatures<T extends { feature: string; importance: number }>(features: T[]): T[] {
  return features.sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0))
}

/** The `count` first rows of a seeded permutation, in their original order (all rows when count ≥ rows). */
export function sampleRows(frame: Frame, count: number, seed: number): Frame {
  if (count >= frame.rows) return frame
  const chosen = createRandom(seed).permutation(frame.rows).subarray(0, count).sort()
  return frame.take(chosen)
}

/** Work units per explained row: Σ over trees of leaves · (depth + 1)², TreeSHAP's O(L·D²). */
export function shapCostPerRow(trees: readonly ShapTree[]): number {
  let cost = 0
  for (const tree of trees) {
    const depth = new Int32Array(tree.feature.length)
    let leaves = 0
    let maxDepth = 0
    const stack = [0]
    // Bounded by the node count: validateShapTree has ruled out cycles by the time trees get here.
    for (let steps = 0; stack.length > 0 && steps <= tree.feature.length; steps++) {
      const k = stack.pop()!
      if (tree.feature[k]! < 0) {
        leaves++
        maxDepth = Math.max(maxDepth, depth[k]!)
        continue
      }
      depth[tree.left[k]!] = depth[k]! + 1
      depth[tree.right[k]!] = depth[k]! + 1
      stack.push(tree.left[k]!, tree.right[k]!)
    }
    cost += leaves * (maxDepth + 1) * (maxDepth + 1)
  }
  return Math.max(1, cost)
}

/** A seeded sample of the training rows, as model features, for a forest's covers. */
function backgroundSample(pipeline: FittedPipeline, train: Frame, seed: number): Frame {
  return pipeline.transform(sampleRows(train, Math.min(BACKGROUND_ROWS, train.rows), seed + 1))
}

/** The background frame as JSON (column-major; NaN as null). */
export function backgroundToJson(frame: Frame): { format: 'keel-shap-background'; rows: number; columns: Record<string, Array<number | null>> } {
  const columns: Record<string, Array<number | null>> = {}
  for (const name of frame.names) columns[name] = Array.from(frame.numeric(name), (v) => (Number.isFinite(v) ? v : null))
  return { format: 'keel-shap-background', rows: frame.rows, columns }
}

export function backgroundFromJson(doc: unknown, source: string): Frame {
  const d = doc as { format?: unknown; rows?: unknown; columns?: unknown } | null
  if (d === null || typeof d !== 'object' || d.format !== 'keel-shap-background' || typeof d.columns !== 'object' || d.columns === null) {
    throw invalidParameter(`'${EXPLANATIONS_DIR}/${BACKGROUND_FILE}' at '${source}' is not a keel SHAP background; retrain the model to explain it.`)
  }
  return new Frame(
    Object.entries(d.columns as Record<string, unknown>).map(([name, values]) => {
      if (!Array.isArray(values)) throw invalidParameter(`Column '${name}' of '${BACKGROUND_FILE}' at '${source}' is not an array; the file is corrupt.`)
      return numericColumn(name, Float64Array.from(values, (v: unknown) => (typeof v === 'number' ? v : Number.NaN)))
    }),
  )
}

/** Top `n` input columns as the tag value: `amount,hour,…`. */
export function topFeatures(importance: StoredImportance, n = 5): string {
  return importance.features
    .slice(0, n)
    .map((f) => f.feature)
    .join(',')
}

/** The target as indices into the classifier's classes (numbers match by their string form). */
function classIndices(frame: Frame, target: string, classes: readonly string[]): Float64Array {
  const index = new Map(classes.map((c, i) => [c, i]))
  const column = frame.column(target)
  const out = new Float64Array(frame.rows)
  for (let i = 0; i < frame.rows; i++) {
    const label = column.kind === 'numeric' ? String(column.values[i]) : column.codes[i]! < 0 ? 'NaN' : column.categories[column.codes[i]!]!
    const at = index.get(label)
    if (at === undefined) throw invalidParameter(`Target '${target}' has the class '${label}' at holdout row ${i}, which the model never saw in training.`)
    out[i] = at
  }
  return out
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/** A self-contained horizontal bar chart (SVG, no scripts or external resources) of the top features. */
export function importanceSvg(importance: StoredImportance, top = 20): string {
  const shown = importance.features.slice(0, top)
  const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c)
  const labelWidth = Math.min(240, 12 + 7 * Math.max(8, ...shown.map((f) => f.feature.length)))
  const barArea = 360
  const rowHeight = 22
  const width = labelWidth + barArea + 90
  const height = 48 + rowHeight * shown.length + 10
  const max = Math.max(...shown.map((f) => f.importance), Number.MIN_VALUE)
  const method = importance.method === 'mean_abs_shap' ? 'TreeSHAP' : `permutation, ${importance.metric ?? ''}`
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>Global feature importance (${escape(method)})</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="600">Feature importance</text>`,
    `<text x="10" y="38" fill="#555">${escape(importance.unit)}, ${importance.rows.toLocaleString('en-US')} holdout rows</text>`,
  ]
  shown.forEach((f, i) => {
    const y = 48 + i * rowHeight
    const w = Math.max(0, (f.importance / max) * barArea)
    lines.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(f.feature)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="#3b6fb6"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" fill="#333">${formatImportance(f.importance)}</text>`,
    )
  })
  lines.push('</svg>')
  return `${lines.join('\n')}\n`
}

/** Four significant digits, without exponent noise for ordinary magnitudes. */
export function formatImportance(value: number): string {
  if (value === 0) return '0'
  const abs = Math.abs(value)
  return abs >= 1e-3 && abs < 1e6 ? String(Number(value.toPrecision(4))) : value.toExponential(3)
}
