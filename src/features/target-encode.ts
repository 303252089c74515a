import { invalidParameter } from '../core/errors.js'
import type { CategoricalColumn, Column } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { assignFolds } from './assign-folds.js'
import { optionalNumber, stateNumber, stateNumbers, stateRecord, stateStrings } from './spec-options.js'

export interface TargetEncodeSpec {
  /** Weight of the prior (global target mean) in each category's mean: (sum + m·prior) / (count + m). */
  smoothing: number
  /** Folds for the out-of-fold encoding that training sees. */
  folds: number
  /** Fold shuffling seed; default: the pipeline's seed. */
  seed?: number
}

/**
 * Replaces a category by the smoothed mean of the target over its rows (a missing value is a category of its
 * own). Training rows get out-of-fold encodings — each row is encoded with statistics from the other folds —
 * so a model never sees its own target leaking through the feature; transform uses the full-data encoding.
 * An unseen category gets the prior.
 */
export const targetEncode: TransformDefinition<TargetEncodeSpec> = {
  type: 'targetEncode',
  accepts: ['categorical'],
  resolve(spec, where) {
    const smoothing = optionalNumber(spec, 'smoothing', where) ?? 10
    if (smoothing < 0) throw invalidParameter(`${where}: 'smoothing' must be ≥ 0, got ${smoothing}.`)
    const folds = optionalNumber(spec, 'folds', where) ?? 5
    if (!Number.isInteger(folds) || folds < 2) throw invalidParameter(`${where}: 'folds' must be an integer ≥ 2, got ${folds}.`)
    const seed = optionalNumber(spec, 'seed', where)
    return seed === undefined ? { smoothing, folds } : { smoothing, folds, seed }
  },
  fit(column, spec, context) {
    const target = context.target
    if (target === undefined) {
      throw invalidParameter(`Column '${column.name}' is target-encoded but the pipeline was fitted without a target; pass the target column name to fit.`)
    }
    const { codes, categories } = column as CategoricalColumn
    const n = codes.length
    if (n < spec.folds) throw invalidParameter(`Target encoding of '${column.name}' needs at least ${spec.folds} rows (one per fold); lower 'folds'.`)
    const groups = categories.length + 1 // the last group is "missing"
    const group = (i: number): number => (codes[i]! < 0 ? categories.length : codes[i]!)
    const sum = new Float64Array(groups)
    const count = new Float64Array(groups)
    const folds = assignFolds(n, spec.folds, spec.seed ?? context.seed)
    const foldSum = new Float64Array(groups * spec.folds)
    const foldCount = new Float64Array(groups * spec.folds)
    let total = 0
    const foldTotal = new Float64Array(spec.folds)
    const foldRows = new Float64Array(spec.folds)
    for (let i = 0; i < n; i++) {
      const g = group(i)
      const y = target[i]!
      const f = folds[i]!
      sum[g]! += y
      count[g]!++
      foldSum[f * groups + g]! += y
      foldCount[f * groups + g]!++
      total += y
      foldTotal[f]! += y
      foldRows[f]!++
    }
    const m = spec.smoothing
    const prior = total / n
    const smooth = (s: number, c: number, p: number): number => (c + m === 0 ? p : (s + m * p) / (c + m))
    const training = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const g = group(i)
      const f = folds[i]!
      const foldPrior = (total - foldTotal[f]!) / (n - foldRows[f]!)
      training[i] = smooth(sum[g]! - foldSum[f * groups + g]!, count[g]! - foldCount[f * groups + g]!, foldPrior)
    }
    const levels: string[] = []
    const encodings: number[] = []
    for (let c = 0; c < categories.length; c++) {
      if (count[c]! === 0) continue
      levels.push(categories[c]!)
      encodings.push(smooth(sum[c]!, count[c]!, prior))
    }
    const missing = count[categories.length]! > 0 ? smooth(sum[categories.length]!, count[categories.length]!, prior) : prior
    const step = targetStep(column.name, levels, encodings, missing, prior)
    return { step, training: [{ kind: 'numeric', name: column.name, dtype: 'float', values: training }] }
  },
  load(input, _kind, _spec, state) {
    const where = `targetEncode '${input}'`
    const s = stateRecord(state, where)
    const levels = stateStrings(s, 'levels', where)
    const encodings = stateNumbers(s, 'encodings', where)
    if (levels.length !== encodings.length) throw invalidParameter(`${where}: saved levels and encodings differ in length; the pipeline file is corrupt.`)
    return targetStep(input, levels, encodings, stateNumber(s, 'missing', where), stateNumber(s, 'prior', where))
  },
}

function targetStep(name: string, levels: string[], encodings: number[], missing: number, prior: number): ColumnStep {
  const index = new Map(levels.map((l, i) => [l, encodings[i]!]))
  const encode = (value: string | null): number => (value === null ? missing : index.get(value) ?? prior)
  return {
    input: name,
    inputKind: 'categorical',
    outputs: [name],
    outputKind: 'numeric',
    state: { levels, encodings, missing, prior },
    applyColumn(column): Column[] {
      const { codes, categories } = column as CategoricalColumn
      const table = Float64Array.from(categories, (c) => encode(c))
      const out = new Float64Array(codes.length)
      for (let i = 0; i < codes.length; i++) out[i] = codes[i]! < 0 ? missing : table[codes[i]!]!
      return [{ kind: 'numeric', name, dtype: 'float', values: out }]
    },
    applyRow(regs, from, to) {
      regs.num[to] = encode(regs.str[from] ?? null)
    },
  }
}
