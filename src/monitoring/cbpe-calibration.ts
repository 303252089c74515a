import { invalidParameter } from '../core/errors.js'
import { createRandom } from '../core/random.js'

/**
 * Calibration for CBPE (performance.ts): isotonic regression per class, kept only when it lowers the expected
 * calibration error on held-out halves of the labelled reference, as NannyML does.
 */

export interface CbpeCalibration {
  /** Whether the reference showed the scores uncalibrated (else `apply` is the identity). */
  readonly calibrated: boolean
  /** Calibrated row-major probabilities (rows renormalised to sum to 1 in the multiclass case). */
  apply(probabilities: Float64Array): Float64Array
}

export interface CalibrationReference {
  /** Row-major `n × k` probabilities the model gave on reference rows (not its training rows). */
  probabilities: Float64Array
  /** True class index per reference row. */
  labels: Int32Array
  classes: number
  /** Seed of the three evaluation splits (default 42). */
  seed?: number
}

const ECE_BINS = 10
const CALIBRATION_SPLITS = 3

/**
 * Decides, per class (one-vs-rest), whether an isotonic calibrator helps: on 3 seeded stratified 50/50 splits
 * of the reference, the mean ECE with a calibrator fitted on one half and measured on the other is compared
 * with the raw ECE; if it improves, a calibrator fitted on the whole reference is used. Without reference
 * labels, call nothing: CBPE then assumes calibrated scores.
 */
export function fitCbpeCalibration(reference: CalibrationReference): CbpeCalibration {
  const { probabilities, labels, classes: k } = reference
  const n = labels.length
  if (probabilities.length !== n * k) {
    throw invalidParameter(`fitCbpeCalibration: ${probabilities.length} probabilities for ${n} rows × ${k} classes.`)
  }
  const random = createRandom(reference.seed ?? 42)
  const splits = Array.from({ length: CALIBRATION_SPLITS }, () => stratifiedHalf(labels, random.nextSeed()))
  // Binary problems calibrate the positive class only; the negative is its complement.
  const calibrate = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c)
  const calibrators = new Map<number, (p: number) => number>()
  for (const c of calibrate) {
    const p = new Float64Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      p[i] = probabilities[i * k + c]!
      y[i] = labels[i] === c ? 1 : 0
    }
    let raw = 0
    let fitted = 0
    for (const inFit of splits) {
      const fitIdx: number[] = []
      const evalIdx: number[] = []
      for (let i = 0; i < n; i++) (inFit[i] === 1 ? fitIdx : evalIdx).push(i)
      const iso = isotonic(fitIdx.map((i) => p[i]!), fitIdx.map((i) => y[i]!))
      const evalP = evalIdx.map((i) => p[i]!)
      const evalY = evalIdx.map((i) => y[i]!)
      raw += expectedCalibrationError(evalP, evalY)
      fitted += expectedCalibrationError(evalP.map(iso), evalY)
    }
    if (fitted < raw) calibrators.set(c, isotonic(Array.from(p), Array.from(y)))
  }
  if (calibrators.size === 0) return { calibrated: false, apply: (probs) => probs }
  return {
    calibrated: true,
    apply(probs: Float64Array): Float64Array {
      const out = Float64Array.from(probs)
      const rows = probs.length / k
      for (let i = 0; i < rows; i++) {
        for (const [c, f] of calibrators) out[i * k + c] = f(probs[i * k + c]!)
        if (k === 2) out[i * 2] = 1 - out[i * 2 + 1]!
        else {
          let sum = 0
          for (let c = 0; c < k; c++) sum += out[i * k + c]!
          if (sum > 0) for (let c = 0; c < k; c++) out[i * k + c] = out[i * k + c]! / sum
        }
      }
      return out
    },
  }
}

/** ECE over 10 equal-width bins: Σ (rows in bin / n) · |mean label − mean score|. */
export function expectedCalibrationError(p: readonly number[], y: readonly number[]): number {
  const count = new Float64Array(ECE_BINS)
  const sumP = new Float64Array(ECE_BINS)
  const sumY = new Float64Array(ECE_BINS)
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(ECE_BINS - 1, Math.max(0, Math.floor(p[i]! * ECE_BINS)))
    count[b]!++
    sumP[b]! += p[i]!
    sumY[b]! += y[i]!
  }
  let ece = 0
  for (let b = 0; b < ECE_BINS; b++) if (count[b]! > 0) ece += Math.abs(sumY[b]! - sumP[b]!) / p.length
  return ece
}

/** Half of each class's rows (1 = in the fitting half), seeded. */
function stratifiedHalf(labels: Int32Array, seed: number): Uint8Array {
  const random = createRandom(seed)
  const out = new Uint8Array(labels.length)
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? []
    list.push(i)
    byClass.set(labels[i]!, list)
  }
  for (const rows of byClass.values()) {
    const order = random.permutation(rows.length)
    for (let j = 0; j < Math.floor(rows.length / 2); j++) out[rows[order[j]!]!] = 1
  }
  return out
}

/**
 * Isotonic regression (pool adjacent violators) of y on x, increasing, as scikit-learn's IsotonicRegression
 * with out_of_bounds="clip": predictions interpolate linearly between the fitted points.
 */
export function isotonic(x: readonly number[], y: readonly number[]): (value: number) => number {
  const order = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!)
  // Distinct x values, weighted mean y per value.
  const xs: number[] = []
  const ys: number[] = []
  const ws: number[] = []
  for (const i of order) {
    const last = xs.length - 1
    if (last >= 0 && xs[last] === x[i]) {
      ys[last] = (ys[last]! * ws[last]! + y[i]!) / (ws[last]! + 1)
      ws[last]! += 1
    } else {
      xs.push(x[i]!)
      ys.push(y[i]!)
      ws.push(1)
    }
  }
  // PAV over blocks: [start, value, weight].
  const start: number[] = []
  const value: number[] = []
  const weight: number[] = []
  for (let i = 0; i < xs.length; i++) {
    start.push(i)
    value.push(ys[i]!)
    weight.push(ws[i]!)
    while (value.length > 1 && value[value.length - 2]! > value[value.length - 1]!) {
      const w = weight.pop()!
      const v = value.pop()!
      start.pop()
      const j = value.length - 1
      value[j] = (value[j]! * weight[j]! + v * w) / (weight[j]! + w)
      weight[j]! += w
    }
  }
  const fitted = new Float64Array(xs.length)
  for (let b = 0; b < start.length; b++) {
    const end = b + 1 < start.length ? start[b + 1]! : xs.length
    for (let i = start[b]!; i < end; i++) fitted[i] = value[b]!
  }
  if (xs.length === 0) return (v) => v
  return (v: number): number => {
    if (v <= xs[0]!) return fitted[0]!
    if (v >= xs[xs.length - 1]!) return fitted[xs.length - 1]!
    let lo = 0
    let hi = xs.length - 1
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (xs[mid]! <= v) lo = mid
      else hi = mid
    }
    const t = (v - xs[lo]!) / (xs[hi]! - xs[lo]!)
    return fitted[lo]! + t * (fitted[hi]! - fitted[lo]!)
  }
}
