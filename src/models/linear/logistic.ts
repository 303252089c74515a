import { invalidParameter } from '../../core/errors.js'
import type { Frame, Row } from '../../core/frame.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { readClassTarget, readDesign, readFeatureColumns, readWeights, rowValue } from './design.js'
import { lbfgs } from './lbfgs.js'
import { LogisticLoss } from './logistic-loss.js'
import { newton } from './newton.js'
import { booleanParam, columnParam, enumParam, numberParam, rejectUnknownParams } from './params.js'
import { checkSaved, numberArray, requireTask, throwIfAborted } from './training.js'

export interface LogisticParams {
  /** Inverse of the L2 strength, as scikit-learn's `C` (smaller = stronger penalty). */
  C: number
  penalty: 'l2' | 'none'
  /** The intercept is never penalised. */
  fitIntercept: boolean
  maxIter: number
  /** Stop when every component of the (weight-normalised) gradient is at most `tol`. */
  tol: number
  /** 'lbfgs' for any size; 'newton' (IRLS, exact Hessian) converges in few steps when classes × features is small. */
  solver: 'lbfgs' | 'newton'
  /** 'balanced' weighs each class by n / (classes × count), or an explicit weight per class label. */
  classWeight: 'balanced' | Readonly<Record<string, number>> | null
  /** A numeric column of sample weights (excluded from the features), or null. */
  weightColumn: string | null
}

const NAME = 'logistic'
/** Newton forms and factors a dim×dim Hessian each step; beyond this L-BFGS is the better tool. */
const MAX_NEWTON_DIM = 1000
const DEFAULTS: LogisticParams = {
  C: 1,
  penalty: 'l2',
  fitIntercept: true,
  maxIter: 100,
  tol: 1e-4,
  solver: 'lbfgs',
  classWeight: null,
  weightColumn: null,
}

/**
 * Logistic regression as scikit-learn's `LogisticRegression`: binary (one coefficient row for the second
 * class) or multinomial (softmax, one row per class), L2-penalised with the same objective and `C`.
 */
export const logistic: Algorithm<LogisticParams> = {
  name: NAME,
  tasks: ['classification'],
  defaults: DEFAULTS,
  resolveParams(params) {
    const p = params as Record<string, unknown>
    rejectUnknownParams(NAME, p, Object.keys(DEFAULTS))
    return {
      C: numberParam(NAME, 'C', p['C'], DEFAULTS.C, { min: 0, minExclusive: true }),
      penalty: enumParam(NAME, 'penalty', p['penalty'], DEFAULTS.penalty, ['l2', 'none']),
      fitIntercept: booleanParam(NAME, 'fitIntercept', p['fitIntercept'], DEFAULTS.fitIntercept),
      maxIter: numberParam(NAME, 'maxIter', p['maxIter'], DEFAULTS.maxIter, { min: 1, integer: true }),
      tol: numberParam(NAME, 'tol', p['tol'], DEFAULTS.tol, { min: 0, minExclusive: true }),
      solver: enumParam(NAME, 'solver', p['solver'], DEFAULTS.solver, ['lbfgs', 'newton']),
      classWeight: classWeightParam(p['classWeight']),
      weightColumn: columnParam(NAME, 'weightColumn', p['weightColumn']),
    }
  },
  fit(frame: Frame, target: string, task: Task, params: LogisticParams, context?: FitContext): Promise<Predictor> {
    return Promise.resolve().then(() => fitLogistic(frame, target, task, params, context))
  },
  load(saved: SavedModel): Predictor {
    const state = checkSaved(saved, NAME)
    const classes = saved.classes
    if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string')) {
      throw invalidParameter(`The saved logistic model needs 'classes': at least two class labels.`)
    }
    const rows = classes.length === 2 ? 1 : classes.length
    const p = saved.features.length
    if (!Array.isArray(state['coef']) || state['coef'].length !== rows) {
      throw invalidParameter(`The saved logistic model's coef must have ${rows} rows (one per ${rows === 1 ? 'binary model' : 'class'}).`)
    }
    const coef = new Float64Array(rows * p)
    ;(state['coef'] as unknown[]).forEach((r, k) => coef.set(numberArray(r, p, `coef row ${k}`), k * p))
    const intercept = numberArray(state['intercept'], rows, 'intercept')
    const params = logistic.resolveParams((state['params'] ?? {}) as Record<string, unknown>)
    const fit = { iterations: Number(state['iterations'] ?? 0), converged: state['converged'] === true }
    return new LogisticPredictor(saved.features, saved.target, classes, coef, intercept, params, fit)
  },
}

function fitLogistic(frame: Frame, target: string, task: Task, params: LogisticParams, context?: FitContext): Predictor {
  requireTask(NAME, task, 'classification')
  throwIfAborted(context, NAME)
  const { features, columns, rows } = readDesign(frame, target, params.weightColumn, NAME)
  const { classes, labels } = readClassTarget(frame, target)
  const weights = readWeights(frame, params.weightColumn)
  const perClass = classWeights(params.classWeight, classes, labels)
  for (let i = 0; i < rows; i++) weights[i] = weights[i]! * perClass[labels[i]!]!

  const loss = new LogisticLoss({
    columns,
    labels,
    weights,
    nClasses: classes.length,
    fitIntercept: params.fitIntercept,
    l2: params.penalty === 'l2' ? 1 / params.C : 0,
  })
  const onIteration = (iteration: number): void => {
    throwIfAborted(context, NAME)
    context?.progress?.({ done: iteration, total: params.maxIter, message: 'logistic: iteration' })
  }
  if (params.solver === 'newton' && loss.dim > MAX_NEWTON_DIM) {
    throw invalidParameter(
      `logistic solver 'newton' builds a ${loss.dim}×${loss.dim} Hessian here (${classes.length} classes × ${features.length} features), more than ${MAX_NEWTON_DIM}; use solver 'lbfgs'.`,
    )
  }
  const x0 = new Float64Array(loss.dim)
  const options = { maxIter: params.maxIter, gtol: params.tol, onIteration }
  const result = params.solver === 'newton' ? newton(loss, x0, options) : lbfgs(loss.evaluate, x0, options)
  if (!result.converged) {
    context?.progress?.({
      done: result.iterations,
      total: params.maxIter,
      message: `logistic: did not converge in ${result.iterations} iterations; raise maxIter or scale the features`,
    })
  }

  const p = features.length
  const k = loss.k
  const coef = new Float64Array(k * p)
  const intercept = new Float64Array(k)
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < p; j++) coef[c * p + j] = result.x[c * loss.stride + j]!
    if (params.fitIntercept) intercept[c] = result.x[c * loss.stride + p]!
  }
  // Softmax scores are unchanged by adding one vector to every class; report the centred representative,
  // which is the one scikit-learn's solver reaches from zero.
  if (k > 1) {
    for (let j = 0; j <= p; j++) {
      const get = (c: number): number => (j < p ? coef[c * p + j]! : intercept[c]!)
      let mean = 0
      for (let c = 0; c < k; c++) mean += get(c)
      mean /= k
      for (let c = 0; c < k; c++) {
        if (j < p) coef[c * p + j] = coef[c * p + j]! - mean
        else intercept[c] = intercept[c]! - mean
      }
    }
  }
  return new LogisticPredictor(features, target, classes, coef, intercept, params, {
    iterations: result.iterations,
    converged: result.converged,
  })
}

function classWeightParam(value: unknown): LogisticParams['classWeight'] {
  if (value === undefined || value === null) return null
  if (value === 'balanced') return value
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>)
    for (const [label, w] of entries) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw invalidParameter(`logistic param 'classWeight' for class '${label}' must be a finite number >= 0, got ${JSON.stringify(w)}.`)
      }
    }
    return Object.fromEntries(entries) as Record<string, number>
  }
  throw invalidParameter(`logistic param 'classWeight' must be 'balanced', an object of weights per class label, or null; got ${JSON.stringify(value)}.`)
}

/** Weight per class index; as scikit-learn, 'balanced' uses unweighted class counts. */
function classWeights(param: LogisticParams['classWeight'], classes: readonly string[], labels: Int32Array): Float64Array {
  const out = new Float64Array(classes.length).fill(1)
  if (param === null) return out
  if (param === 'balanced') {
    const counts = new Float64Array(classes.length)
    for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++
    for (let c = 0; c < classes.length; c++) out[c] = labels.length / (classes.length * counts[c]!)
    return out
  }
  for (const [label, w] of Object.entries(param)) {
    const c = classes.indexOf(label)
    if (c < 0) throw invalidParameter(`logistic param 'classWeight' names class '${label}', which is not in the target. Classes: ${classes.join(', ')}.`)
    out[c] = w
  }
  return out
}

class LogisticPredictor implements Predictor {
  readonly kind = NAME
  readonly task = 'classification' as const
  readonly features: readonly string[]
  readonly target: string
  readonly classes: readonly string[]
  /** Row-major: one row of `features.length` per class (a single row for a binary model). */
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly iterations: number
  readonly converged: boolean
  private readonly params: LogisticParams
  private readonly scratch: Float64Array

  constructor(
    features: readonly string[],
    target: string,
    classes: readonly string[],
    coef: Float64Array,
    intercept: Float64Array,
    params: LogisticParams,
    fit: { iterations: number; converged: boolean },
  ) {
    this.features = [...features]
    this.target = target
    this.classes = [...classes]
    this.coef = coef
    this.intercept = intercept
    this.params = params
    this.iterations = fit.iterations
    this.converged = fit.converged
    this.scratch = new Float64Array(classes.length)
  }

  predictProba(frame: Frame): Float64Array {
    const columns = readFeatureColumns(frame, this.features, NAME)
    const n = frame.rows
    const k = this.classes.length
    const p = this.features.length
    const out = new Float64Array(n * k)
    const z = new Float64Array(n)
    const rows = k === 2 ? 1 : k
    for (let c = 0; c < rows; c++) {
      z.fill(this.intercept[c]!)
      for (let j = 0; j < p; j++) {
        const wj = this.coef[c * p + j]!
        const col = columns[j]!
        for (let i = 0; i < n; i++) z[i] = z[i]! + wj * col[i]!
      }
      if (k === 2) {
        for (let i = 0; i < n; i++) {
          const prob = sigmoid(z[i]!)
          out[2 * i] = 1 - prob
          out[2 * i + 1] = prob
        }
      } else {
        for (let i = 0; i < n; i++) out[i * k + c] = z[i]!
      }
    }
    if (k > 2) for (let i = 0; i < n; i++) softmaxInPlace(out, i * k, k)
    return out
  }

  predict(frame: Frame): Float64Array {
    const proba = this.predictProba(frame)
    const k = this.classes.length
    const out = new Float64Array(frame.rows)
    for (let i = 0; i < out.length; i++) out[i] = argmax(proba, i * k, k)
    return out
  }

  predictProbaRow(row: Row, out?: Float64Array): Float64Array {
    const k = this.classes.length
    const p = this.features.length
    if (out !== undefined && out.length < k) {
      throw invalidParameter(`predictProbaRow: 'out' has ${out.length} slots but the model has ${k} classes.`)
    }
    const result = out ?? new Float64Array(k)
    if (k === 2) {
      let z = this.intercept[0]!
      for (let j = 0; j < p; j++) z += this.coef[j]! * rowValue(row, this.features[j]!)
      const prob = sigmoid(z)
      result[0] = 1 - prob
      result[1] = prob
      return result
    }
    for (let c = 0; c < k; c++) result[c] = this.intercept[c]!
    for (let j = 0; j < p; j++) {
      const v = rowValue(row, this.features[j]!)
      for (let c = 0; c < k; c++) result[c] = result[c]! + this.coef[c * p + j]! * v
    }
    softmaxInPlace(result, 0, k)
    return result
  }

  predictRow(row: Row): number {
    return argmax(this.predictProbaRow(row, this.scratch), 0, this.classes.length)
  }

  save(): SavedModel {
    const p = this.features.length
    const rows = this.intercept.length
    return {
      format: 'keel-model',
      formatVersion: 1,
      kind: NAME,
      task: 'classification',
      features: [...this.features],
      target: this.target,
      classes: [...this.classes],
      state: {
        coef: Array.from({ length: rows }, (_, c) => Array.from(this.coef.subarray(c * p, (c + 1) * p))),
        intercept: Array.from(this.intercept),
        iterations: this.iterations,
        converged: this.converged,
        params: { ...this.params },
      },
    }
  }
}

/** As scipy's expit: exact in both tails. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z))
  const e = Math.exp(z)
  return e / (1 + e)
}

function softmaxInPlace(a: Float64Array, offset: number, k: number): void {
  let max = -Infinity
  for (let c = 0; c < k; c++) max = Math.max(max, a[offset + c]!)
  let sum = 0
  for (let c = 0; c < k; c++) {
    const e = Math.exp(a[offset + c]! - max)
    a[offset + c] = e
    sum += e
  }
  for (let c = 0; c < k; c++) a[offset + c] = a[offset + c]! / sum
}

function argmax(a: Float64Array, offset: number, k: number): number {
  let best = 0
  for (let c = 1; c < k; c++) if (a[offset + c]! > a[offset + best]!) best = c
  return best
}
