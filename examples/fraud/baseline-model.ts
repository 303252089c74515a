/**
 * A small standardised logistic regression trained by full-batch gradient descent. It stands in for keel's
 * own algorithms until they land; the example's tracking and registry flow does not change when they do.
 */
export interface LogisticModel {
  kind: 'logistic-regression'
  columns: readonly string[]
  mean: number[]
  scale: number[]
  weights: number[]
  intercept: number
}

export function fitLogistic(
  x: Float64Array,
  y: Uint8Array,
  columns: readonly string[],
  options: { epochs: number; learningRate: number; l2: number; onEpoch?: (epoch: number, loss: number) => void },
): LogisticModel {
  const width = columns.length
  const rows = y.length
  const mean = new Array<number>(width).fill(0)
  const scale = new Array<number>(width).fill(0)
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) mean[j]! += x[i * width + j]! / rows
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) scale[j]! += (x[i * width + j]! - mean[j]!) ** 2 / rows
  for (let j = 0; j < width; j++) scale[j] = Math.sqrt(scale[j]!) || 1
  const z = new Float64Array(rows * width)
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) z[i * width + j] = (x[i * width + j]! - mean[j]!) / scale[j]!
  const w = new Float64Array(width)
  let b = 0
  const grad = new Float64Array(width)
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    grad.fill(0)
    let gradB = 0
    let loss = 0
    for (let i = 0; i < rows; i++) {
      let s = b
      for (let j = 0; j < width; j++) s += w[j]! * z[i * width + j]!
      const p = 1 / (1 + Math.exp(-s))
      const label = y[i]!
      loss -= label * Math.log(Math.max(p, 1e-12)) + (1 - label) * Math.log(Math.max(1 - p, 1e-12))
      const err = p - label
      for (let j = 0; j < width; j++) grad[j]! += err * z[i * width + j]!
      gradB += err
    }
    for (let j = 0; j < width; j++) w[j]! -= options.learningRate * (grad[j]! / rows + options.l2 * w[j]!)
    b -= options.learningRate * (gradB / rows)
    options.onEpoch?.(epoch, loss / rows)
  }
  return { kind: 'logistic-regression', columns, mean, scale, weights: [...w], intercept: b }
}

export function predictProba(model: LogisticModel, x: Float64Array, rows: number): Float64Array {
  const width = model.columns.length
  const out = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    let s = model.intercept
    for (let j = 0; j < width; j++) s += model.weights[j]! * ((x[i * width + j]! - model.mean[j]!) / model.scale[j]!)
    out[i] = 1 / (1 + Math.exp(-s))
  }
  return out
}

/** ROC AUC by the rank-sum (Mann-Whitney) formula, with ties averaged. */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) {
      positives++
      rankSum += rank
    }
    i = j + 1
  }
  const negatives = order.length - positives
  if (positives === 0 || negatives === 0) return Number.NaN
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}
