import { invalidParameter } from '../../core/errors.js'
import type { Frame, Row } from '../../core/frame.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { choleskySolve } from './cholesky.js'
import { readDesign, readFeatureColumns, readRegressionTarget, readWeights, rowValue } from './design.js'
import { booleanParam, columnParam, numberParam, rejectUnknownParams } from './params.js'
import { checkSaved, numberArray, requireTask, throwIfAborted } from './training.js'

export interface RidgeParams {
  /** L2 penalty on the coefficients (not the intercept); 0 is ordinary least squares. */
  alpha: number
  fitIntercept: boolean
  /** A numeric column of sample weights (excluded from the features), or null. */
  weightColumn: string | null
}

const NAME = 'ridge'
const DEFAULTS: RidgeParams = { alpha: 1, fitIntercept: true, weightColumn: null }

/**
 * Ridge regression as scikit-learn's `Ridge`: minimises Σ sᵢ(yᵢ − xᵢ·w − b)² + α‖w‖². Closed form: the
 * (p+1)×(p+1) weighted normal equations over centred features (centring decouples the intercept, which keeps
 * the system well conditioned), solved by Cholesky.
 */
export const ridge: Algorithm<RidgeParams> = {
  name: NAME,
  tasks: ['regression'],
  defaults: DEFAULTS,
  resolveParams(params) {
    const p = params as Record<string, unknown>
    rejectUnknownParams(NAME, p, Object.keys(DEFAULTS))
    return {
      alpha: numberParam(NAME, 'alpha', p['alpha'], DEFAULTS.alpha, { min: 0 }),
      fitIntercept: booleanParam(NAME, 'fitIntercept', p['fitIntercept'], DEFAULTS.fitIntercept),
      weightColumn: columnParam(NAME, 'weightColumn', p['weightColumn']),
    }
  },
  fit(frame: Frame, target: string, task: Task, params: RidgeParams, context?: FitContext): Promise<Predictor> {
    return Promise.resolve().then(() => {
      requireTask(NAME, task, 'regression')
      throwIfAborted(context, NAME)
      const { features, columns, rows } = readDesign(frame, target, params.weightColumn, NAME)
      const y = readRegressionTarget(frame, target)
      const w = readWeights(frame, params.weightColumn)
      const { coef, intercept } = solveRidge(columns, y, w, rows, params, features)
      context?.progress?.({ done: 1, total: 1, message: 'ridge: solved the normal equations' })
      return new RidgePredictor(features, target, coef, intercept, params)
    })
  },
  load(saved: SavedModel): Predictor {
    const state = checkSaved(saved, NAME)
    const coef = numberArray(state['coef'], saved.features.length, 'coef')
    const [intercept] = numberArray([state['intercept']], 1, 'intercept')
    const params = ridge.resolveParams((state['params'] ?? {}) as Record<string, unknown>)
    return new RidgePredictor(saved.features, saved.target, coef, intercept!, params)
  },
}

function solveRidge(
  columns: readonly Float64Array[],
  y: Float64Array,
  w: Float64Array,
  rows: number,
  params: RidgeParams,
  features: readonly string[],
): { coef: Float64Array; intercept: number } {
  const p = columns.length
  const dim = p + (params.fitIntercept ? 1 : 0)
  let total = 0
  for (let i = 0; i < rows; i++) total += w[i]!
  const mean = new Float64Array(p)
  let yMean = 0
  if (params.fitIntercept) {
    for (let j = 0; j < p; j++) {
      const col = columns[j]!
      let s = 0
      for (let i = 0; i < rows; i++) s += w[i]! * col[i]!
      mean[j] = s / total
    }
    for (let i = 0; i < rows; i++) yMean += w[i]! * y[i]!
    yMean /= total
  }
  const a = new Float64Array(dim * dim)
  const b = new Float64Array(dim)
  const t = new Float64Array(rows)
  for (let j = 0; j < p; j++) {
    const cj = columns[j]!
    const mj = mean[j]!
    for (let i = 0; i < rows; i++) t[i] = w[i]! * (cj[i]! - mj)
    for (let l = 0; l <= j; l++) {
      const cl = columns[l]!
      const ml = mean[l]!
      let s = 0
      for (let i = 0; i < rows; i++) s += t[i]! * (cl[i]! - ml)
      a[j * dim + l] = s
      a[l * dim + j] = s
    }
    a[j * dim + j] = a[j * dim + j]! + params.alpha
    let s = 0
    let st = 0
    for (let i = 0; i < rows; i++) {
      s += t[i]! * y[i]!
      st += t[i]!
    }
    b[j] = s
    if (params.fitIntercept) {
      a[p * dim + j] = st
      a[j * dim + p] = st
    }
  }
  if (params.fitIntercept) {
    a[p * dim + p] = total
    b[p] = yMean * total
  }
  const bad = choleskySolve(a, b, dim)
  if (bad >= 0) {
    const name = bad < p ? `'${features[bad]}'` : 'the intercept'
    throw invalidParameter(
      `ridge: the normal equations are singular at ${name} (constant or collinear features with alpha=${params.alpha}); set alpha > 0 or drop that column.`,
    )
  }
  const coef = b.slice(0, p)
  let intercept = 0
  if (params.fitIntercept) {
    intercept = b[p]!
    for (let j = 0; j < p; j++) intercept -= mean[j]! * coef[j]!
  }
  return { coef, intercept }
}

class RidgePredictor implements Predictor {
  readonly kind = NAME
  readonly task = 'regression' as const
  readonly features: readonly string[]
  readonly target: string
  readonly coef: Float64Array
  readonly intercept: number
  private readonly params: RidgeParams

  constructor(features: readonly string[], target: string, coef: Float64Array, intercept: number, params: RidgeParams) {
    this.features = [...features]
    this.target = target
    this.coef = coef
    this.intercept = intercept
    this.params = params
  }

  predict(frame: Frame): Float64Array {
    const columns = readFeatureColumns(frame, this.features, NAME)
    const out = new Float64Array(frame.rows).fill(this.intercept)
    for (let j = 0; j < columns.length; j++) {
      const col = columns[j]!
      const wj = this.coef[j]!
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + wj * col[i]!
    }
    return out
  }

  predictProba(): Float64Array {
    throw invalidParameter('ridge is a regression model; it has no class probabilities. Use predict.')
  }

  predictRow(row: Row): number {
    let s = this.intercept
    for (let j = 0; j < this.features.length; j++) s += this.coef[j]! * rowValue(row, this.features[j]!)
    return s
  }

  predictProbaRow(): Float64Array {
    throw invalidParameter('ridge is a regression model; it has no class probabilities. Use predictRow.')
  }

  save(): SavedModel {
    return {
      format: 'keel-model',
      formatVersion: 1,
      kind: NAME,
      task: 'regression',
      features: [...this.features],
      target: this.target,
      state: { coef: Array.from(this.coef), intercept: this.intercept, params: { ...this.params } },
    }
  }
}
