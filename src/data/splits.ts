import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { createRandom } from '../core/random.js'

export interface Split {
  readonly train: Frame
  readonly test: Frame
  /** Row positions in the source frame. */
  readonly trainIndices: Int32Array
  readonly testIndices: Int32Array
}

export interface RandomSplitOptions {
  /** Share of rows in the test set, strictly between 0 and 1. */
  readonly testFraction: number
  readonly seed: number
}

function checkFraction(testFraction: number): void {
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw invalidParameter(`testFraction must be a number strictly between 0 and 1, got ${String(testFraction)}.`)
  }
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw invalidParameter(`seed must be an integer, got ${String(seed)}; pass one to make the split reproducible.`)
}

function build(frame: Frame, train: Int32Array, test: Int32Array): Split {
  return { train: frame.take(train), test: frame.take(test), trainIndices: train, testIndices: test }
}

/** Shuffles rows with the seed; the test set is `round(rows × testFraction)` rows. Indices come back sorted. */
export function randomSplit(frame: Frame, options: RandomSplitOptions): Split {
  checkFraction(options.testFraction)
  checkSeed(options.seed)
  const n = frame.rows
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  createRandom(options.seed).shuffle(order)
  const nTest = Math.round(n * options.testFraction)
  return build(frame, order.slice(nTest).sort(), order.slice(0, nTest).sort())
}

/**
 * Per class of `target` (numeric values or categories), `round(classCount × testFraction)` rows go to the
 * test set, so each class's share in both sets is within one row of the whole set's. A missing target is an
 * error naming the column.
 */
export function stratifiedSplit(frame: Frame, target: string, options: RandomSplitOptions): Split {
  checkFraction(options.testFraction)
  checkSeed(options.seed)
  const column = frame.column(target)
  const n = frame.rows
  const classOf = new Int32Array(n)
  const classes = new Map<number, number>()
  let missing = 0
  for (let i = 0; i < n; i++) {
    const key = column.kind === 'numeric' ? column.values[i]! : column.codes[i]!
    if (column.kind === 'numeric' ? Number.isNaN(key) : key < 0) {
      missing++
      continue
    }
    let c = classes.get(key)
    if (c === undefined) {
      c = classes.size
      classes.set(key, c)
    }
    classOf[i] = c
  }
  if (missing > 0) throw invalidParameter(`Column '${target}' has ${missing} missing values; a stratified split needs a class for every row: drop or fill them first.`)
  if (column.kind === 'numeric' && classes.size > Math.max(50, n / 2)) {
    throw invalidParameter(`Column '${target}' has ${classes.size} distinct values, which looks continuous; stratify on a class column or use randomSplit.`)
  }
  const counts = new Int32Array(classes.size)
  for (let i = 0; i < n; i++) counts[classOf[i]!]!++
  const members = Array.from(counts, (count) => new Int32Array(count))
  const filled = new Int32Array(classes.size)
  for (let i = 0; i < n; i++) {
    const c = classOf[i]!
    members[c]![filled[c]!++] = i
  }
  const random = createRandom(options.seed)
  const train: number[] = []
  const test: number[] = []
  for (const rows of members) {
    random.shuffle(rows)
    const nTest = Math.round(rows.length * options.testFraction)
    for (let i = 0; i < rows.length; i++) (i < nTest ? test : train).push(rows[i]!)
  }
  return build(frame, Int32Array.from(train).sort(), Int32Array.from(test).sort())
}

export type TimeSplitOptions = { readonly testFraction: number } | { readonly cutoff: number | Date | string }

/**
 * Rows before the cutoff train, rows at or after it test; indices are in time order (ties keep row order).
 * With `testFraction` the cutoff is the time at position `rows × (1 − testFraction)` in time order, and all
 * rows sharing that time go to the test set, so one timestamp never straddles the two sets.
 */
export function timeSplit(frame: Frame, column: string, options: TimeSplitOptions): Split {
  const times = frame.numeric(column)
  const n = times.length
  let missing = 0
  for (let i = 0; i < n; i++) if (Number.isNaN(times[i]!)) missing++
  if (missing > 0) throw invalidParameter(`Column '${column}' has ${missing} missing values; timeSplit needs a time for every row: drop or fill them first.`)
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  // Stable: equal times keep row order.
  order.sort((a, b) => times[a]! - times[b]! || a - b)
  let cutoff: number
  if ('cutoff' in options) {
    const c = options.cutoff
    cutoff = c instanceof Date ? c.getTime() : typeof c === 'string' ? Date.parse(c) : c
    if (typeof cutoff !== 'number' || Number.isNaN(cutoff)) throw invalidParameter(`cutoff must be a number, a Date or an ISO date string, got '${String(c)}'.`)
  } else {
    checkFraction(options.testFraction)
    const at = Math.min(n - 1, Math.max(0, n - Math.round(n * options.testFraction)))
    cutoff = n === 0 ? 0 : times[order[at]!]!
  }
  let first = 0
  while (first < n && times[order[first]!]! < cutoff) first++
  return build(frame, order.slice(0, first), order.slice(first))
}
