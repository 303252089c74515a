import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import type { Row } from '../core/frame.js'
import type { Predictor, SavedModel } from '../models/predictor.js'
import { createRandom } from '../core/random.js'

/** Small deterministic models and data for cross-validation and search tests (not scikit-learn cross-checks). */
export function toyClassificationFrame(n: number, seed = 1): Frame {
  const random = createRandom(seed)
  const x = new Float64Array(n)
  const labels: string[] = []
  for (let i = 0; i < n; i++) {
    const positive = random.next() < 0.35
    x[i] = (positive ? 1 : 0) + random.next() * 1.5
    labels.push(positive ? 'fraud' : 'ok')
  }
  return new Frame([numericColumn('x', x), categoricalColumn('label', labels)])
}

export function toyRegressionFrame(n: number, seed = 2): Frame {
  const random = createRandom(seed)
  const x = new Float64Array(n)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    x[i] = random.next() * 10
    y[i] = 3 * x[i]! + 1 + (random.next() - 0.5)
  }
  return new Frame([numericColumn('x', x), numericColumn('y', y)])
}

function base(kind: string, task: 'classification' | 'regression', target: string, classes?: string[]) {
  const save = (): SavedModel => ({ format: 'keel-model', formatVersion: 1, kind, task, features: ['x'], target, state: {} })
  return { kind, task, features: ['x'], target, ...(classes === undefined ? {} : { classes }), save }
}

/** Logistic on x around the midpoint of the class means; `sharpness` scales the slope. */
export function fitMidpointClassifier(train: Frame, target: string, sharpness = 4): Predictor {
  const column = train.column(target)
  if (column.kind !== 'categorical') throw new Error('toy classifier expects a categorical target')
  // Classes are the labels present in the training rows, as a real classifier learns them.
  const classes = [...new Set(Array.from(column.codes, (c) => column.categories[c]!))].sort()
  const x = train.numeric('x')
  const sums = [0, 0]
  const counts = [0, 0]
  for (let i = 0; i < train.rows; i++) {
    const c = classes.indexOf(column.categories[column.codes[i]!]!)
    sums[c]! += x[i]!
    counts[c]! += 1
  }
  const m0 = sums[0]! / Math.max(1, counts[0]!)
  const m1 = sums[1]! / Math.max(1, counts[1]!)
  const mid = (m0 + m1) / 2
  const sign = m1 >= m0 ? 1 : -1
  const p1 = (v: number): number => 1 / (1 + Math.exp(-sign * sharpness * (v - mid)))
  const proba = (frame: Frame): Float64Array => {
    const xs = frame.numeric('x')
    const out = new Float64Array(frame.rows * 2)
    for (let i = 0; i < frame.rows; i++) {
      out[2 * i + 1] = p1(xs[i]!)
      out[2 * i] = 1 - out[2 * i + 1]!
    }
    return out
  }
  return {
    ...base('midpoint', 'classification', target, classes),
    predictProba: proba,
    predict: (frame) => Float64Array.from({ length: frame.rows }, (_, i) => (p1(frame.numeric('x')[i]!) > 0.5 ? 1 : 0)),
    predictRow: (row: Row) => (p1(Number(row['x'])) > 0.5 ? 1 : 0),
    predictProbaRow: (row: Row, out = new Float64Array(2)) => {
      out[1] = p1(Number(row['x']))
      out[0] = 1 - out[1]
      return out
    },
  }
}

/** Least squares y = a x + b, with the slope multiplied by `shrink` (1 is best). */
export function fitShrunkLine(train: Frame, target: string, shrink = 1): Predictor {
  const x = train.numeric('x')
  const y = train.numeric(target)
  let mx = 0
  let my = 0
  for (let i = 0; i < train.rows; i++) {
    mx += x[i]!
    my += y[i]!
  }
  mx /= train.rows
  my /= train.rows
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < train.rows; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my)
    sxx += (x[i]! - mx) ** 2
  }
  const a = (sxy / sxx) * shrink
  const b = my - a * mx
  return {
    ...base('line', 'regression', target),
    predict: (frame) => Float64Array.from(frame.numeric('x'), (v) => a * v + b),
    predictProba: () => {
      throw new Error('regression')
    },
    predictRow: (row: Row) => a * Number(row['x']) + b,
    predictProbaRow: () => {
      throw new Error('regression')
    },
  }
}
