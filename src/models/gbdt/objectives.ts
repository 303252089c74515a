import type { Objective } from './params.js'
import type { LeafValue } from './tree-grower.js'

/**
 * A boosting loss over margins (rows × nOut, row-major). y holds the class index for classifiers. Gradients
 * and hessians are written interleaved, gh[2i] and gh[2i + 1], already multiplied by the row weight.
 */
export interface Loss {
  nOut: number
  /** The constant margin that minimises the loss (base score). */
  init(y: Float64Array, w: Float64Array): Float64Array
  /** Called once per round before gradients (softmax computes probabilities once for all classes). */
  beginRound(margins: Float64Array): void
  gradients(output: number, margins: Float64Array, gh: Float64Array): void
  /** Weighted mean loss, for early stopping. */
  loss(y: Float64Array, w: Float64Array, margins: Float64Array): number
  /** Leaf values other than the Newton step, or null. */
  leafValue(margins: Float64Array, learningRate: number): LeafValue | null
}

export function createLoss(objective: Exclude<Objective, 'auto'>, y: Float64Array, w: Float64Array, nClasses: number, huberDelta: number): Loss {
  const n = y.length
  if (objective === 'logistic') {
    return {
      nOut: 1,
      init(yy, ww) {
        let sw = 0
        let sp = 0
        for (let i = 0; i < yy.length; i++) {
          sw += ww[i]!
          sp += ww[i]! * yy[i]!
        }
        const p = Math.min(1 - 1e-15, Math.max(1e-15, sp / sw))
        return Float64Array.of(Math.log(p / (1 - p)))
      },
      beginRound() {},
      gradients(_k, m, gh) {
        for (let i = 0; i < n; i++) {
          const p = 1 / (1 + Math.exp(-m[i]!))
          gh[2 * i] = (p - y[i]!) * w[i]!
          gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16) * w[i]!
        }
      },
      loss(yy, ww, m) {
        let s = 0
        let sw = 0
        for (let i = 0; i < yy.length; i++) {
          const z = m[i]!
          // log(1 + e^z) − y·z, stable for large |z|.
          s += ww[i]! * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - yy[i]! * z)
          sw += ww[i]!
        }
        return s / sw
      },
      leafValue: () => null,
    }
  }
  if (objective === 'softmax') {
    const k = nClasses
    const prob = new Float64Array(n * k)
    return {
      nOut: k,
      init(yy, ww) {
        const counts = new Float64Array(k)
        let sw = 0
        for (let i = 0; i < yy.length; i++) {
          counts[yy[i]!]! += ww[i]!
          sw += ww[i]!
        }
        return counts.map((c) => Math.log(Math.max(c / sw, 1e-15)))
      },
      beginRound(m) {
        for (let i = 0; i < n; i++) softmaxInto(m, i * k, k, prob)
      },
      gradients(c, _m, gh) {
        for (let i = 0; i < n; i++) {
          const p = prob[i * k + c]!
          gh[2 * i] = (p - (y[i] === c ? 1 : 0)) * w[i]!
          gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16) * w[i]!
        }
      },
      loss(yy, ww, m) {
        let s = 0
        let sw = 0
        for (let i = 0; i < yy.length; i++) {
          let max = -Infinity
          for (let c = 0; c < k; c++) max = Math.max(max, m[i * k + c]!)
          let sum = 0
          for (let c = 0; c < k; c++) sum += Math.exp(m[i * k + c]! - max)
          s += ww[i]! * (max + Math.log(sum) - m[i * k + yy[i]!]!)
          sw += ww[i]!
        }
        return s / sw
      },
      leafValue: () => null,
    }
  }
  const weightedMedian = (values: Float64Array, weights: Float64Array): number => weightedQuantile(values, weights, 0.5)
  if (objective === 'squared_error') {
    return {
      nOut: 1,
      init(yy, ww) {
        let s = 0
        let sw = 0
        for (let i = 0; i < yy.length; i++) {
          s += ww[i]! * yy[i]!
          sw += ww[i]!
        }
        return Float64Array.of(s / sw)
      },
      beginRound() {},
      gradients(_k, m, gh) {
        for (let i = 0; i < n; i++) {
          gh[2 * i] = (m[i]! - y[i]!) * w[i]!
          gh[2 * i + 1] = w[i]!
        }
      },
      loss: (yy, ww, m) => meanLoss(yy, ww, m, (r) => 0.5 * r * r),
      leafValue: () => null,
    }
  }
  const absolute = objective === 'absolute_error'
  const delta = huberDelta
  return {
    nOut: 1,
    init: (yy, ww) => Float64Array.of(weightedMedian(yy, ww)),
    beginRound() {},
    // Hessian is the weight: a gradient step in leaf space; absolute error then re-fits leaves by median.
    gradients(_k, m, gh) {
      for (let i = 0; i < n; i++) {
        const r = m[i]! - y[i]!
        gh[2 * i] = (absolute ? Math.sign(r) : Math.max(-delta, Math.min(delta, r))) * w[i]!
        gh[2 * i + 1] = w[i]!
      }
    },
    loss: (yy, ww, m) => meanLoss(yy, ww, m, absolute ? Math.abs : (r) => (Math.abs(r) <= delta ? 0.5 * r * r : delta * (Math.abs(r) - 0.5 * delta))),
    leafValue(m, lr) {
      if (!absolute) return null
      // As scikit-learn: a leaf predicts the (weighted) median residual of its rows, times the learning rate.
      return (rowIdx, s, e) => {
        const res = new Float64Array(e - s)
        const ws = new Float64Array(e - s)
        for (let p = s; p < e; p++) {
          const r = rowIdx[p]!
          res[p - s] = y[r]! - m[r]!
          ws[p - s] = w[r]!
        }
        return lr * weightedMedian(res, ws)
      }
    },
  }
}

function meanLoss(y: Float64Array, w: Float64Array, m: Float64Array, f: (r: number) => number): number {
  let s = 0
  let sw = 0
  for (let i = 0; i < y.length; i++) {
    s += w[i]! * f(y[i]! - m[i]!)
    sw += w[i]!
  }
  return s / sw
}

export function softmaxInto(m: Float64Array, at: number, k: number, out: Float64Array): void {
  let max = -Infinity
  for (let c = 0; c < k; c++) if (m[at + c]! > max) max = m[at + c]!
  let sum = 0
  for (let c = 0; c < k; c++) {
    const e = Math.exp(m[at + c]! - max)
    out[at + c] = e
    sum += e
  }
  for (let c = 0; c < k; c++) out[at + c]! /= sum
}

/** The weighted q-quantile (lower, as numpy's 'inverted_cdf' on weights). */
export function weightedQuantile(values: Float64Array, weights: Float64Array, q: number): number {
  const n = values.length
  if (n === 0) return 0
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => values[a]! - values[b]!)
  let total = 0
  for (let i = 0; i < n; i++) total += weights[i]!
  let acc = 0
  for (let j = 0; j < n; j++) {
    acc += weights[order[j]!]!
    if (acc >= q * total) return values[order[j]!]!
  }
  return values[order[n - 1]!]!
}
