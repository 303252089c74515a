import { invalidParameter } from '../../core/errors.js'
import type { Task } from '../predictor.js'

export type Criterion = 'gini' | 'entropy' | 'squared_error'
/**
 * Features tried per split: an integer ≥ 1 is a count, a number in (0, 1) a fraction of the features,
 * 'sqrt'/'log2' of the feature count, 'all' every feature; 'auto' is 'sqrt' for forest classification and
 * 'all' otherwise (scikit-learn's defaults). JS has no int/float distinction, so 1 means one feature: use 'all'.
 */
export type MaxFeatures = number | 'sqrt' | 'log2' | 'all' | 'auto'
export type ClassWeight = 'balanced' | Readonly<Record<string, number>> | null

export interface TreeParams {
  /** 'auto': gini for classification, squared_error for regression. */
  criterion: Criterion | 'auto'
  /** null grows until the leaves are pure or too small. */
  maxDepth: number | null
  minSamplesSplit: number
  minSamplesLeaf: number
  maxFeatures: MaxFeatures
  minImpurityDecrease: number
  classWeight: ClassWeight
  /** Quantile bins per feature (2–255); features with fewer distinct values split exactly. */
  maxBins: number
}

export interface ForestParams extends TreeParams {
  nTrees: number
  bootstrap: boolean
  /** Worker threads; null uses the fit context's `threads`, else every core. */
  threads: number | null
}

export const TREE_DEFAULTS: Readonly<TreeParams> = Object.freeze({
  criterion: 'auto',
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'all',
  minImpurityDecrease: 0,
  classWeight: null,
  maxBins: 255,
})

export const FOREST_DEFAULTS: Readonly<ForestParams> = Object.freeze({
  ...TREE_DEFAULTS,
  maxFeatures: 'auto',
  nTrees: 100,
  bootstrap: true,
  threads: null,
})

function int(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Param '${name}' must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`)
  }
  return value
}

function resolveCommon(p: Record<string, unknown>, defaults: Readonly<TreeParams>): TreeParams {
  const get = (k: keyof TreeParams): unknown => (p[k] === undefined ? defaults[k] : p[k])
  const criterion = get('criterion')
  if (criterion !== 'auto' && criterion !== 'gini' && criterion !== 'entropy' && criterion !== 'squared_error') {
    throw invalidParameter(`Param 'criterion' must be 'gini', 'entropy', 'squared_error' or 'auto', got ${JSON.stringify(criterion)}.`)
  }
  const maxDepthRaw = get('maxDepth')
  const maxDepth = maxDepthRaw === null ? null : int('maxDepth', maxDepthRaw, 1, 10_000)
  const maxFeatures = get('maxFeatures')
  const namedMax = maxFeatures === 'sqrt' || maxFeatures === 'log2' || maxFeatures === 'all' || maxFeatures === 'auto'
  const numericMax = typeof maxFeatures === 'number' && ((maxFeatures > 0 && maxFeatures < 1) || (Number.isInteger(maxFeatures) && maxFeatures >= 1))
  if (!namedMax && !numericMax) {
    throw invalidParameter(
      `Param 'maxFeatures' must be an integer ≥ 1, a fraction in (0, 1), 'sqrt', 'log2', 'all' or 'auto', got ${JSON.stringify(maxFeatures)}.`,
    )
  }
  const minImpurityDecrease = get('minImpurityDecrease')
  if (typeof minImpurityDecrease !== 'number' || !Number.isFinite(minImpurityDecrease) || minImpurityDecrease < 0) {
    throw invalidParameter(`Param 'minImpurityDecrease' must be a finite number ≥ 0, got ${JSON.stringify(minImpurityDecrease)}.`)
  }
  const classWeight = get('classWeight')
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
    criterion,
    maxDepth,
    minSamplesSplit: int('minSamplesSplit', get('minSamplesSplit'), 2),
    minSamplesLeaf: int('minSamplesLeaf', get('minSamplesLeaf'), 1),
    maxFeatures: maxFeatures as MaxFeatures,
    minImpurityDecrease,
    classWeight: classWeight as ClassWeight,
    maxBins: int('maxBins', get('maxBins'), 2, 255),
  }
}

function rejectUnknown(p: Record<string, unknown>, known: object): void {
  for (const k of Object.keys(p)) {
    if (!(k in known)) throw invalidParameter(`Unknown param '${k}'. Known params: ${Object.keys(known).join(', ')}.`)
  }
}

export function resolveTreeParams(params: Partial<TreeParams> | Record<string, unknown>): TreeParams {
  const p = params as Record<string, unknown>
  rejectUnknown(p, TREE_DEFAULTS)
  return resolveCommon(p, TREE_DEFAULTS)
}

export function resolveForestParams(params: Partial<ForestParams> | Record<string, unknown>): ForestParams {
  const p = params as Record<string, unknown>
  rejectUnknown(p, FOREST_DEFAULTS)
  const bootstrap = p['bootstrap'] ?? FOREST_DEFAULTS.bootstrap
  if (typeof bootstrap !== 'boolean') throw invalidParameter(`Param 'bootstrap' must be true or false, got ${JSON.stringify(bootstrap)}.`)
  const threads = p['threads'] === undefined ? FOREST_DEFAULTS.threads : p['threads']
  return {
    ...resolveCommon(p, FOREST_DEFAULTS),
    nTrees: int('nTrees', p['nTrees'] ?? FOREST_DEFAULTS.nTrees, 1, 100_000),
    bootstrap,
    threads: threads === null ? null : int('threads', threads, 1, 1024),
  }
}

/** The criterion for a task; a classification criterion on a regression task (or back) is an error. */
export function criterionFor(task: Task, criterion: TreeParams['criterion']): Criterion {
  if (criterion === 'auto') return task === 'classification' ? 'gini' : 'squared_error'
  const forClassification = criterion !== 'squared_error'
  if (forClassification !== (task === 'classification')) {
    throw invalidParameter(
      `Param 'criterion' '${criterion}' does not fit a ${task} task; use ${task === 'classification' ? "'gini' or 'entropy'" : "'squared_error'"} (or 'auto').`,
    )
  }
  return criterion
}

/** Features tried per split, as a count in [1, nFeatures]. */
export function maxFeaturesCount(maxFeatures: MaxFeatures, nFeatures: number, task: Task, forest: boolean): number {
  let m: number
  if (maxFeatures === 'all') m = nFeatures
  else if (maxFeatures === 'auto') m = forest && task === 'classification' ? Math.floor(Math.sqrt(nFeatures)) : nFeatures
  else if (maxFeatures === 'sqrt') m = Math.floor(Math.sqrt(nFeatures))
  else if (maxFeatures === 'log2') m = Math.floor(Math.log2(nFeatures))
  else if (maxFeatures < 1) m = Math.floor(maxFeatures * nFeatures)
  else m = maxFeatures
  return Math.max(1, Math.min(nFeatures, m))
}
