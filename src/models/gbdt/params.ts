import { invalidParameter } from '../../core/errors.js'
import type { Task } from '../predictor.js'

/** Loss minimised by boosting; 'auto' is 'logistic'/'softmax' for classification and 'squared_error' for regression. */
export type Objective = 'auto' | 'logistic' | 'softmax' | 'squared_error' | 'absolute_error' | 'huber'
export type GbdtClassWeight = 'balanced' | Readonly<Record<string, number>> | null

export interface GbdtParams {
  objective: Objective
  /** Boosting rounds (one tree per round, one per class per round for softmax). */
  nRounds: number
  learningRate: number
  /** Leaf-wise growth stops at this many leaves. */
  maxLeaves: number
  /** null: depth limited only by maxLeaves. */
  maxDepth: number | null
  /** Minimum hessian sum in a child (XGBoost's min_child_weight). */
  minChildWeight: number
  /** Minimum training rows in a child (scikit-learn's min_samples_leaf). */
  minSamplesLeaf: number
  /** Minimum loss reduction for a split (XGBoost's gamma). */
  minSplitGain: number
  /** L2 penalty on leaf weights. */
  lambda: number
  /** L1 penalty on leaf weights. */
  alpha: number
  /** Value bins per feature (2–255), plus one reserved bin for missing values. */
  maxBins: number
  /** Fraction of rows drawn (without replacement) for each round. */
  subsample: number
  /** Fraction of features drawn for each tree. */
  colsampleByTree: number
  /** Stop when the validation loss has not improved for this many rounds; null disables early stopping. */
  earlyStoppingRounds: number | null
  /** Held-out fraction for early stopping when no validation frame is given. */
  validationFraction: number
  /** Huber loss: residuals beyond delta are penalised linearly. */
  huberDelta: number
  /** A column of non-negative row weights (excluded from the features); null weighs rows equally. */
  weightColumn: string | null
  classWeight: GbdtClassWeight
  /**
   * Threads building histograms (worker threads over shared memory); null uses the fit context's `threads`,
   * else every core; 1 stays in-process. Workers start only with ≥ 8,192 rows per thread, minSamplesLeaf 1 and
   * colsampleByTree 1 (the paths that keep row counts or a feature subset stay in-process).
   */
  threads: number | null
  /**
   * Features split natively by category sets: 'auto' is every string (categorical) column of the input frame;
   * a list names them (string columns, or numeric columns of integer codes). Each keeps its maxBins − 1 most
   * frequent training categories; the rest and categories unseen in training share an "other" bin that always
   * goes right; missing values follow the split's learned default direction.
   */
  categoricalFeatures: 'auto' | string[]
  /** With at most this many rankable categories at a node, try each one against the rest instead of sorting. */
  maxCatToOnehot: number
  /** A category needs this many training rows at a node to be ranked (fewer: it goes right with "other"). */
  minDataPerCategory: number
  /** Added to a category's hessian when ranking categories by gradient/hessian, damping small categories. */
  catSmooth: number
}

export const GBDT_DEFAULTS: Readonly<GbdtParams> = Object.freeze({
  objective: 'auto',
  nRounds: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: null,
  minChildWeight: 1e-3,
  minSamplesLeaf: 20,
  minSplitGain: 0,
  lambda: 0,
  alpha: 0,
  maxBins: 255,
  subsample: 1,
  colsampleByTree: 1,
  earlyStoppingRounds: null,
  validationFraction: 0.1,
  huberDelta: 1,
  weightColumn: null,
  classWeight: null,
  threads: null,
  categoricalFeatures: 'auto',
  maxCatToOnehot: 4,
  minDataPerCategory: 10,
  catSmooth: 10,
})

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Param '${name}' must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`)
  }
  return value
}

function num(name: string, value: unknown, min: number, max: number, minOpen = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value > max || (minOpen ? value <= min : value < min)) {
    throw invalidParameter(`Param '${name}' must be a number in ${minOpen ? '(' : '['}${min}, ${max}], got ${JSON.stringify(value)}.`)
  }
  return value
}

const OBJECTIVES: readonly Objective[] = ['auto', 'logistic', 'softmax', 'squared_error', 'absolute_error', 'huber']

export function resolveGbdtParams(params: Partial<GbdtParams> | Record<string, unknown>): GbdtParams {
  const p = params as Record<string, unknown>
  for (const k of Object.keys(p)) {
    if (!(k in GBDT_DEFAULTS)) throw invalidParameter(`Unknown param '${k}'. Known params: ${Object.keys(GBDT_DEFAULTS).join(', ')}.`)
  }
  const get = (k: keyof GbdtParams): unknown => (p[k] === undefined ? GBDT_DEFAULTS[k] : p[k])
  const objective = get('objective')
  if (typeof objective !== 'string' || !OBJECTIVES.includes(objective as Objective)) {
    throw invalidParameter(`Param 'objective' must be one of ${OBJECTIVES.join(', ')}, got ${JSON.stringify(objective)}.`)
  }
  const maxDepth = get('maxDepth')
  const early = get('earlyStoppingRounds')
  const weightColumn = get('weightColumn')
  if (weightColumn !== null && typeof weightColumn !== 'string') {
    throw invalidParameter(`Param 'weightColumn' must be a column name or null, got ${JSON.stringify(weightColumn)}.`)
  }
  const classWeight = get('classWeight')
  const threads = get('threads')
  if (classWeight !== null && classWeight !== 'balanced') {
    if (typeof classWeight !== 'object' || Array.isArray(classWeight)) {
      throw invalidParameter(`Param 'classWeight' must be null, 'balanced' or an object of class label → weight, got ${JSON.stringify(classWeight)}.`)
    }
    for (const [label, w] of Object.entries(classWeight as Record<string, unknown>)) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
        throw invalidParameter(`Param 'classWeight' for class '${label}' must be a finite number > 0, got ${JSON.stringify(w)}.`)
      }
    }
  }
  return {
    objective: objective as Objective,
    nRounds: int('nRounds', get('nRounds'), 1, 1_000_000),
    learningRate: num('learningRate', get('learningRate'), 0, 10, true),
    maxLeaves: int('maxLeaves', get('maxLeaves'), 2, 65_536),
    maxDepth: maxDepth === null ? null : int('maxDepth', maxDepth, 1, 64),
    minChildWeight: num('minChildWeight', get('minChildWeight'), 0, Number.MAX_VALUE),
    minSamplesLeaf: int('minSamplesLeaf', get('minSamplesLeaf'), 1, Number.MAX_SAFE_INTEGER),
    minSplitGain: num('minSplitGain', get('minSplitGain'), 0, Number.MAX_VALUE),
    lambda: num('lambda', get('lambda'), 0, Number.MAX_VALUE),
    alpha: num('alpha', get('alpha'), 0, Number.MAX_VALUE),
    maxBins: int('maxBins', get('maxBins'), 2, 255),
    subsample: num('subsample', get('subsample'), 0, 1, true),
    colsampleByTree: num('colsampleByTree', get('colsampleByTree'), 0, 1, true),
    earlyStoppingRounds: early === null ? null : int('earlyStoppingRounds', early, 1, 1_000_000),
    validationFraction: num('validationFraction', get('validationFraction'), 0, 0.9, true),
    huberDelta: num('huberDelta', get('huberDelta'), 0, Number.MAX_VALUE, true),
    weightColumn,
    classWeight: classWeight as GbdtClassWeight,
    threads: threads === null ? null : int('threads', threads, 1, 1024),
    categoricalFeatures: categoricalList(get('categoricalFeatures')),
    maxCatToOnehot: int('maxCatToOnehot', get('maxCatToOnehot'), 0, 255),
    minDataPerCategory: int('minDataPerCategory', get('minDataPerCategory'), 1, Number.MAX_SAFE_INTEGER),
    catSmooth: num('catSmooth', get('catSmooth'), 0, Number.MAX_VALUE),
  }
}

function categoricalList(value: unknown): 'auto' | string[] {
  if (value === 'auto') return 'auto'
  const hint = "Param 'categoricalFeatures' must be 'auto' or a list of distinct column names"
  if (!Array.isArray(value)) throw invalidParameter(`${hint}, got ${JSON.stringify(value)}.`)
  for (const name of value) {
    if (typeof name !== 'string' || name === '') throw invalidParameter(`${hint}; ${JSON.stringify(name)} is not a column name.`)
  }
  if (new Set(value).size !== value.length) throw invalidParameter(`${hint}; it names a column twice.`)
  return [...(value as string[])]
}

/** The concrete objective for a task and class count; a regression loss on a classification task (or back) is an error. */
export function objectiveFor(task: Task, objective: Objective, nClasses: number): Exclude<Objective, 'auto'> {
  if (objective === 'auto') return task === 'regression' ? 'squared_error' : nClasses > 2 ? 'softmax' : 'logistic'
  const classification = objective === 'logistic' || objective === 'softmax'
  if (classification !== (task === 'classification')) {
    throw invalidParameter(
      `Param 'objective' '${objective}' does not fit a ${task} task; use ${task === 'classification' ? "'logistic' or 'softmax'" : "'squared_error', 'absolute_error' or 'huber'"} (or 'auto').`,
    )
  }
  if (objective === 'logistic' && nClasses > 2) {
    throw invalidParameter(`Param 'objective' 'logistic' needs two classes but the target has ${nClasses}; use 'softmax' (or 'auto').`)
  }
  return objective
}
