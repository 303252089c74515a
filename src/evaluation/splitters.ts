import { invalidParameter } from '../core/errors.js'
import type { Numbers } from './input.js'
import { createRandom } from '../core/random.js'

/** Row indices of one split, ascending. */
export interface Split {
  train: Int32Array
  test: Int32Array
}

export interface HoldoutOptions {
  /** Share of rows in the test set (default 0.2); the test set has ceil(testFraction × n) rows. */
  testFraction?: number
  seed?: number
  /** Class labels to stratify by: each class keeps its share in both sets. */
  stratify?: Numbers
}

export interface KFoldOptions {
  /** Number of folds (default 5). */
  folds?: number
  /** Shuffle before splitting (default false: contiguous folds in row order). */
  shuffle?: boolean
  seed?: number
}

function checkFolds(folds: number, n: number): void {
  if (!Number.isInteger(folds) || folds < 2) throw invalidParameter(`'folds' must be an integer of at least 2; got ${folds}.`)
  if (folds > n) throw invalidParameter(`'folds' is ${folds} but there are only ${n} rows; use at most ${n} folds.`)
}

/** Turns a per-row fold id into one split per fold. */
export function splitsFromAssignment(testFold: Int32Array, folds: number): Split[] {
  const sizes = new Int32Array(folds)
  for (const f of testFold) sizes[f]!++
  const splits: Split[] = []
  for (let f = 0; f < folds; f++) {
    const test = new Int32Array(sizes[f]!)
    const train = new Int32Array(testFold.length - sizes[f]!)
    let t = 0
    let r = 0
    for (let i = 0; i < testFold.length; i++) {
      if (testFold[i] === f) test[t++] = i
      else train[r++] = i
    }
    splits.push({ train, test })
  }
  return splits
}

/** scikit-learn's KFold: the first n % folds folds get one extra row. */
export function kFoldAssignment(n: number, options: KFoldOptions = {}): Int32Array {
  const folds = options.folds ?? 5
  checkFolds(folds, n)
  const order = options.shuffle === true ? createRandom(options.seed ?? 0).permutation(n) : Int32Array.from({ length: n }, (_, i) => i)
  const out = new Int32Array(n)
  let start = 0
  for (let f = 0; f < folds; f++) {
    const size = Math.floor(n / folds) + (f < n % folds ? 1 : 0)
    for (let i = start; i < start + size; i++) out[order[i]!] = f
    start += size
  }
  return out
}

export function kFold(n: number, options: KFoldOptions = {}): Split[] {
  return splitsFromAssignment(kFoldAssignment(n, options), options.folds ?? 5)
}

/** Class ids in order of first appearance (scikit-learn's encoding in StratifiedKFold). */
function encodeByAppearance(y: Numbers): { codes: Int32Array; classes: number } {
  const ids = new Map<number, number>()
  const codes = new Int32Array(y.length)
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!Number.isFinite(v)) {
      throw invalidParameter(`The stratification labels have ${String(v)} at row ${i}; drop rows whose target is missing first.`)
    }
    let id = ids.get(v)
    if (id === undefined) {
      id = ids.size
      ids.set(v, id)
    }
    codes[i] = id
  }
  return { codes, classes: ids.size }
}

/**
 * scikit-learn's StratifiedKFold fold assignment: each class's rows are dealt to folds in blocks, with the
 * per-fold counts of a round robin over the sorted labels, so fold sizes match scikit-learn's exactly.
 * Shuffling permutes each class's fold ids with keel's seeded PRNG.
 */
export function stratifiedKFoldAssignment(y: Numbers, options: KFoldOptions = {}): Int32Array {
  const folds = options.folds ?? 5
  const n = y.length
  checkFolds(folds, n)
  const { codes, classes } = encodeByAppearance(y)
  const counts = new Int32Array(classes)
  for (const c of codes) counts[c]!++
  if (counts.every((count) => count < folds)) {
    throw invalidParameter(`'folds' is ${folds} but no class has that many rows; use fewer folds.`)
  }
  // allocation[f][c]: rows of class c in fold f, from dealing the sorted labels round robin.
  const allocation = new Int32Array(folds * classes)
  let position = 0
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < counts[c]!; j++) allocation[((position + j) % folds) * classes + c]!++
    position += counts[c]!
  }
  const random = createRandom(options.seed ?? 0)
  const out = new Int32Array(n)
  for (let c = 0; c < classes; c++) {
    const foldsForClass = new Int32Array(counts[c]!)
    let at = 0
    for (let f = 0; f < folds; f++) for (let j = 0; j < allocation[f * classes + c]!; j++) foldsForClass[at++] = f
    if (options.shuffle === true) random.shuffle(foldsForClass)
    let next = 0
    for (let i = 0; i < n; i++) if (codes[i] === c) out[i] = foldsForClass[next++]!
  }
  return out
}

export function stratifiedKFold(y: Numbers, options: KFoldOptions = {}): Split[] {
  return splitsFromAssignment(stratifiedKFoldAssignment(y, options), options.folds ?? 5)
}

/** A shuffled train/test split (scikit-learn's train_test_split sizes); stratified when labels are given. */
export function holdout(n: number, options: HoldoutOptions = {}): Split {
  const fraction = options.testFraction ?? 0.2
  if (!(fraction > 0 && fraction < 1)) throw invalidParameter(`'testFraction' must be between 0 and 1 (exclusive); got ${fraction}.`)
  const testSize = Math.ceil(fraction * n)
  if (testSize >= n || n < 2) throw invalidParameter(`A holdout of ${fraction} of ${n} rows leaves no training rows; use more rows or a smaller testFraction.`)
  const random = createRandom(options.seed ?? 0)
  const inTest = new Uint8Array(n)
  if (options.stratify === undefined) {
    const order = random.permutation(n)
    for (let i = 0; i < testSize; i++) inTest[order[i]!] = 1
  } else {
    if (options.stratify.length !== n) throw invalidParameter(`'stratify' has ${options.stratify.length} labels for ${n} rows; pass one per row.`)
    const { codes, classes } = encodeByAppearance(options.stratify)
    const members: number[][] = Array.from({ length: classes }, () => [])
    for (let i = 0; i < n; i++) members[codes[i]!]!.push(i)
    // Largest remainder: each class gets floor(share), the biggest remainders take the rows left over.
    const exact = members.map((m) => (m.length * testSize) / n)
    const take = exact.map(Math.floor)
    let left = testSize - take.reduce((a, b) => a + b, 0)
    const byRemainder = exact.map((e, c) => ({ c, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.c - b.c)
    for (let j = 0; j < byRemainder.length && left > 0; j++, left--) take[byRemainder[j]!.c]!++
    members.forEach((rows, c) => {
      const order = random.shuffle(Int32Array.from(rows))
      for (let i = 0; i < take[c]!; i++) inTest[order[i]!] = 1
    })
  }
  return splitsFromAssignment(Int32Array.from(inTest), 2)[1]!
}
