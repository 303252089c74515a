import { invalidParameter } from '../core/errors.js'
import { checkLabels, checkNotEmpty, checkSameLength } from './input.js'
import type { Numbers } from './input.js'

export interface CalibrationOptions {
  /** Number of bins (default 5, as scikit-learn). */
  bins?: number
  /** 'uniform': equal-width bins on [0, 1]; 'quantile': equal-count bins from the probabilities' percentiles. */
  strategy?: 'uniform' | 'quantile'
  posLabel?: number
}

export interface CalibrationCurve {
  /** Fraction of positives in each non-empty bin. */
  probTrue: Float64Array
  /** Mean predicted probability in each non-empty bin. */
  probPred: Float64Array
  /** Rows in each non-empty bin. */
  counts: Float64Array
  /** The `bins + 1` bin edges. */
  edges: Float64Array
}

/** `sklearn.calibration.calibration_curve` (1.2): a probability on an inner edge falls in the lower bin. */
export function calibrationCurve(yTrue: Numbers, proba: Numbers, options: CalibrationOptions = {}): CalibrationCurve {
  checkNotEmpty('yTrue', yTrue)
  checkLabels('yTrue', yTrue)
  checkSameLength('proba', proba, yTrue.length)
  const n = yTrue.length
  const bins = options.bins ?? 5
  if (!Number.isInteger(bins) || bins < 1) throw invalidParameter(`'bins' must be a positive integer; got ${bins}.`)
  const posLabel = options.posLabel ?? 1
  const labels = new Set<number>()
  for (let i = 0; i < n; i++) {
    labels.add(yTrue[i]!)
    const p = proba[i]!
    if (!(p >= 0 && p <= 1)) throw invalidParameter(`'proba' has ${String(p)} at row ${i}; the calibration curve needs probabilities in [0, 1].`)
  }
  if (labels.size > 2) throw invalidParameter(`The calibration curve is binary but yTrue has ${labels.size} classes; pass one class against the rest.`)
  const edges = linspace01(bins)
  if (options.strategy === 'quantile') {
    const sorted = Float64Array.from(proba).sort()
    for (let b = 0; b <= bins; b++) edges[b] = percentile(sorted, edges[b]! * 100)
  } else if (options.strategy !== undefined && options.strategy !== 'uniform') {
    throw invalidParameter(`'strategy' must be 'uniform' or 'quantile'; got '${String(options.strategy)}'.`)
  }
  const sums = new Float64Array(bins)
  const positives = new Float64Array(bins)
  const totals = new Float64Array(bins)
  for (let i = 0; i < n; i++) {
    const p = proba[i]!
    // numpy.searchsorted(edges[1:-1], p, side='left'): the number of inner edges below p.
    let bin = 0
    while (bin < bins - 1 && edges[bin + 1]! < p) bin++
    sums[bin]! += p
    totals[bin]! += 1
    if (yTrue[i] === posLabel) positives[bin]! += 1
  }
  const probTrue: number[] = []
  const probPred: number[] = []
  const counts: number[] = []
  for (let b = 0; b < bins; b++) {
    if (totals[b] === 0) continue
    probTrue.push(positives[b]! / totals[b]!)
    probPred.push(sums[b]! / totals[b]!)
    counts.push(totals[b]!)
  }
  return { probTrue: Float64Array.from(probTrue), probPred: Float64Array.from(probPred), counts: Float64Array.from(counts), edges }
}

/** numpy.linspace(0, 1, bins + 1), bit for bit (i * step, last exactly 1). */
function linspace01(bins: number): Float64Array {
  const out = new Float64Array(bins + 1)
  const step = 1 / bins
  for (let i = 0; i < bins; i++) out[i] = i * step
  out[bins] = 1
  return out
}

/** numpy.percentile(sorted, q) with the default 'linear' method, reproducing its rounding. */
function percentile(sorted: Float64Array, q: number): number {
  const n = sorted.length
  const virtual = (n - 1) * (q / 100)
  if (virtual >= n - 1) return sorted[n - 1]!
  if (virtual < 0) return sorted[0]!
  const previous = Math.floor(virtual)
  const gamma = virtual - previous
  const a = sorted[previous]!
  const b = sorted[previous + 1]!
  const diff = b - a
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
}
