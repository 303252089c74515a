/**
 * The penalised logistic loss of scikit-learn's LogisticRegression, divided by the total sample weight S (as
 * scikit-learn does, so `tol` means the same thing):
 *   f(w) = (1/S) Σ sᵢ ℓᵢ(w) + (λ / 2S) ‖coef‖²,  λ = 1/C (0 without penalty), intercepts not penalised.
 * Binary: one coefficient row (class 1 against class 0). Multinomial: one row per class (softmax).
 * Parameters are laid out row-major: x[k·stride + j], the intercept (when fitted) at j = p.
 * Scratch buffers are allocated once; each evaluation is a few passes over the feature columns.
 */
export interface LogisticProblem {
  columns: readonly Float64Array[]
  /** Index of each row's class. */
  labels: Int32Array
  /** Per-row weights (sample weight × class weight). */
  weights: Float64Array
  nClasses: number
  fitIntercept: boolean
  /** 1/C, or 0 for no penalty. */
  l2: number
}

export class LogisticLoss {
  readonly rows: number
  readonly p: number
  /** Coefficient rows: 1 for binary, nClasses for multinomial. */
  readonly k: number
  readonly stride: number
  readonly dim: number
  private readonly problem: LogisticProblem
  private readonly totalWeight: number
  /** Scores, then (after an evaluation) probabilities, per coefficient row. */
  private readonly prob: Float64Array[]
  private readonly residual: Float64Array[]

  constructor(problem: LogisticProblem) {
    this.problem = problem
    this.rows = problem.labels.length
    this.p = problem.columns.length
    this.k = problem.nClasses === 2 ? 1 : problem.nClasses
    this.stride = this.p + (problem.fitIntercept ? 1 : 0)
    this.dim = this.k * this.stride
    let total = 0
    for (let i = 0; i < this.rows; i++) total += problem.weights[i]!
    this.totalWeight = total
    this.prob = Array.from({ length: this.k }, () => new Float64Array(this.rows))
    this.residual = Array.from({ length: this.k }, () => new Float64Array(this.rows))
  }

  /** f(x); writes ∇f into `grad`. Leaves the probabilities in place for `hessian`. */
  readonly evaluate = (x: Float64Array, grad: Float64Array): number => {
    const { columns, labels, weights, fitIntercept, l2 } = this.problem
    const { rows, p, k, stride } = this
    for (let c = 0; c < k; c++) {
      const z = this.prob[c]!
      z.fill(fitIntercept ? x[c * stride + p]! : 0)
      addScores(z, columns, x, c * stride, p)
    }
    let loss = 0
    if (k === 1) {
      const z = this.prob[0]!
      const r = this.residual[0]!
      for (let i = 0; i < rows; i++) {
        const zi = z[i]!
        const e = Math.exp(-Math.abs(zi))
        const prob = zi >= 0 ? 1 / (1 + e) : e / (1 + e)
        const y = labels[i]!
        const s = weights[i]!
        // log(1 + e^z) − y·z, computed without overflow.
        loss += s * ((zi > 0 ? zi : 0) + Math.log1p(e) - y * zi)
        z[i] = prob
        r[i] = s * (prob - y)
      }
    } else {
      const z = this.prob
      for (let i = 0; i < rows; i++) {
        let max = -Infinity
        for (let c = 0; c < k; c++) max = Math.max(max, z[c]![i]!)
        const y = labels[i]!
        const zy = z[y]![i]! - max
        let sum = 0
        for (let c = 0; c < k; c++) {
          const e = Math.exp(z[c]![i]! - max)
          z[c]![i] = e
          sum += e
        }
        const s = weights[i]!
        // −log softmax_y = log Σ e^(z−max) − (z_y − max), stable for any scores.
        loss += s * (Math.log(sum) - zy)
        for (let c = 0; c < k; c++) {
          const prob = z[c]![i]! / sum
          z[c]![i] = prob
          this.residual[c]![i] = s * (prob - (c === y ? 1 : 0))
        }
      }
    }
    const inv = 1 / this.totalWeight
    let penalty = 0
    for (let c = 0; c < k; c++) {
      const r = this.residual[c]!
      dotColumns(columns, r, grad, c * stride)
      for (let j = 0; j < p; j++) {
        const wj = x[c * stride + j]!
        grad[c * stride + j] = (grad[c * stride + j]! + l2 * wj) * inv
        penalty += wj * wj
      }
      if (fitIntercept) {
        let s = 0
        for (let i = 0; i < rows; i++) s += r[i]!
        grad[c * stride + p] = s * inv
      }
    }
    return (loss + 0.5 * l2 * penalty) * inv
  }

  /** The Hessian (dim×dim, row-major) at the point of the last `evaluate`. */
  hessian(out: Float64Array): void {
    const { columns, weights, l2 } = this.problem
    const { rows, p, k, stride, dim } = this
    const h = new Float64Array(rows)
    const t = new Float64Array(rows)
    const feature = (j: number): Float64Array | null => (j < p ? columns[j]! : null) // null = the intercept's ones
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) {
        // Curvature weights of block (a, b): sᵢ pₐ(δₐᵦ − pᵦ) (binary: sᵢ p(1 − p)).
        const pa = this.prob[a]!
        const pb = this.prob[b]!
        for (let i = 0; i < rows; i++) h[i] = weights[i]! * pa[i]! * ((a === b ? 1 : 0) - (k === 1 ? pa[i]! : pb[i]!))
        for (let j = 0; j < stride; j++) {
          const cj = feature(j)
          for (let i = 0; i < rows; i++) t[i] = cj === null ? h[i]! : h[i]! * cj[i]!
          for (let m = 0; m < stride; m++) {
            if (a === b && m > j) break
            const cm = feature(m)
            let s = 0
            if (cm === null) for (let i = 0; i < rows; i++) s += t[i]!
            else for (let i = 0; i < rows; i++) s += t[i]! * cm[i]!
            s /= this.totalWeight
            const r = a * stride + j
            const c = b * stride + m
            out[r * dim + c] = s
            out[c * dim + r] = s
          }
        }
      }
    }
    for (let a = 0; a < k; a++) for (let j = 0; j < p; j++) {
        const at = (a * stride + j) * (dim + 1)
        out[at] = out[at]! + l2 / this.totalWeight
      }
  }
}

// The two kernels below take four columns per pass, so the row-length buffer is read and written a quarter as
// often: each evaluation is bound by memory traffic, not arithmetic.

/** z += Σⱼ w[offset + j] · columns[j]. */
export function addScores(z: Float64Array, columns: readonly Float64Array[], w: Float64Array, offset: number, p: number): void {
  const rows = z.length
  let j = 0
  for (; j + 4 <= p; j += 4) {
    const w0 = w[offset + j]!
    const w1 = w[offset + j + 1]!
    const w2 = w[offset + j + 2]!
    const w3 = w[offset + j + 3]!
    const c0 = columns[j]!
    const c1 = columns[j + 1]!
    const c2 = columns[j + 2]!
    const c3 = columns[j + 3]!
    for (let i = 0; i < rows; i++) z[i] = z[i]! + w0 * c0[i]! + w1 * c1[i]! + w2 * c2[i]! + w3 * c3[i]!
  }
  for (; j < p; j++) {
    const wj = w[offset + j]!
    const col = columns[j]!
    for (let i = 0; i < rows; i++) z[i] = z[i]! + wj * col[i]!
  }
}

/** out[offset + j] = columns[j] · r. */
function dotColumns(columns: readonly Float64Array[], r: Float64Array, out: Float64Array, offset: number): void {
  const rows = r.length
  const p = columns.length
  let j = 0
  for (; j + 4 <= p; j += 4) {
    const c0 = columns[j]!
    const c1 = columns[j + 1]!
    const c2 = columns[j + 2]!
    const c3 = columns[j + 3]!
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let i = 0; i < rows; i++) {
      const ri = r[i]!
      s0 += c0[i]! * ri
      s1 += c1[i]! * ri
      s2 += c2[i]! * ri
      s3 += c3[i]! * ri
    }
    out[offset + j] = s0
    out[offset + j + 1] = s1
    out[offset + j + 2] = s2
    out[offset + j + 3] = s3
  }
  for (; j < p; j++) {
    const col = columns[j]!
    let s = 0
    for (let i = 0; i < rows; i++) s += col[i]! * r[i]!
    out[offset + j] = s
  }
}
