import { invalidParameter } from '../core/errors.js'
import { MISSING_CODE, type CategoricalColumn, type Column, type NumericColumn } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { optionalEnum, stateRecord } from './spec-options.js'
import { codeCounts, compareStrings, medianSorted, presentMean, sortedPresent } from './stats.js'

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant'

export interface ImputeSpec {
  strategy: ImputeStrategy
  /** For 'constant': the fill (a number for numeric columns, a string for categorical); default 0 / 'missing'. */
  fillValue?: number | string
}

const STRATEGIES: readonly ImputeStrategy[] = ['mean', 'median', 'most_frequent', 'constant']

/** Fills missing values; like scikit-learn's SimpleImputer (most_frequent ties go to the smallest value). */
export const impute: TransformDefinition<ImputeSpec> = {
  type: 'impute',
  accepts: ['numeric', 'categorical'],
  resolve(spec, where) {
    const strategy = optionalEnum(spec, 'strategy', STRATEGIES, where) ?? 'mean'
    const fill = spec['fillValue']
    if (fill !== undefined && typeof fill !== 'string' && !(typeof fill === 'number' && Number.isFinite(fill))) {
      throw invalidParameter(`${where}: 'fillValue' must be a finite number or a string, got ${JSON.stringify(fill)}.`)
    }
    return fill === undefined ? { strategy } : { strategy, fillValue: fill }
  },
  fit(column, spec) {
    if (column.kind === 'numeric') return { step: numericImputer(column.name, fitNumeric(column, spec)) }
    return { step: categoricalImputer(column.name, fitCategorical(column, spec)) }
  },
  load(input, inputKind, _spec, state) {
    const fill = stateRecord(state, `impute '${input}'`)['fill']
    if (inputKind === 'numeric' && typeof fill === 'number') return numericImputer(input, fill)
    if (inputKind === 'categorical' && typeof fill === 'string') return categoricalImputer(input, fill)
    throw invalidParameter(`impute '${input}': the saved fill value does not match the column kind; the pipeline file is corrupt.`)
  },
}

function allMissing(name: string, strategy: string): Error {
  return invalidParameter(`Column '${name}' is all missing, so strategy '${strategy}' has nothing to learn from; impute it with strategy 'constant' or drop the column.`)
}

function fitNumeric(column: NumericColumn, spec: ImputeSpec): number {
  if (spec.strategy === 'constant') {
    if (typeof spec.fillValue === 'string') throw invalidParameter(`Column '${column.name}' is numeric but impute's fillValue is the string '${spec.fillValue}'; give a number.`)
    return spec.fillValue ?? 0
  }
  const sorted = sortedPresent(column.values)
  if (sorted.length === 0) throw allMissing(column.name, spec.strategy)
  if (spec.strategy === 'mean') return presentMean(column.values).mean
  if (spec.strategy === 'median') return medianSorted(sorted)
  // Longest run in sorted order; the first longest is the smallest value.
  let best = sorted[0]!
  let bestCount = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j < sorted.length && sorted[j] === sorted[i]) j++
    if (j - i > bestCount) {
      bestCount = j - i
      best = sorted[i]!
    }
    i = j
  }
  return best
}

function fitCategorical(column: CategoricalColumn, spec: ImputeSpec): string {
  if (spec.strategy === 'constant') {
    if (typeof spec.fillValue === 'number') throw invalidParameter(`Column '${column.name}' is categorical but impute's fillValue is the number ${spec.fillValue}; give a string.`)
    return spec.fillValue ?? 'missing'
  }
  if (spec.strategy !== 'most_frequent') {
    throw invalidParameter(`Column '${column.name}' is categorical; impute it with strategy 'most_frequent' or 'constant', not '${spec.strategy}'.`)
  }
  const { counts } = codeCounts(column.codes, column.categories.length)
  let best: string | undefined
  let bestCount = 0
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c]!
    const name = column.categories[c]!
    if (n > bestCount || (n === bestCount && n > 0 && best !== undefined && compareStrings(name, best) < 0)) {
      best = name
      bestCount = n
    }
  }
  if (best === undefined) throw allMissing(column.name, spec.strategy)
  return best
}

function fillNumber(v: number, fill: number): number {
  return Number.isNaN(v) ? fill : v
}

function numericImputer(name: string, fill: number): ColumnStep {
  return {
    input: name,
    inputKind: 'numeric',
    outputs: [name],
    outputKind: 'numeric',
    state: { fill },
    applyColumn(column) {
      const { values } = column as NumericColumn
      const out = new Float64Array(values.length)
      for (let i = 0; i < values.length; i++) out[i] = fillNumber(values[i]!, fill)
      return [{ kind: 'numeric', name, dtype: (column as NumericColumn).dtype, values: out }]
    },
    applyRow(regs, from, to) {
      regs.num[to] = fillNumber(regs.num[from]!, fill)
    },
  }
}

function categoricalImputer(name: string, fill: string): ColumnStep {
  return {
    input: name,
    inputKind: 'categorical',
    outputs: [name],
    outputKind: 'categorical',
    state: { fill },
    applyColumn(column): Column[] {
      const { codes, categories } = column as CategoricalColumn
      let fillCode = categories.indexOf(fill)
      const outCategories = fillCode >= 0 ? categories : [...categories, fill]
      if (fillCode < 0) fillCode = categories.length
      const out = new Int32Array(codes.length)
      for (let i = 0; i < codes.length; i++) out[i] = codes[i] === MISSING_CODE ? fillCode : codes[i]!
      return [{ kind: 'categorical', name, codes: out, categories: outCategories }]
    },
    applyRow(regs, from, to) {
      regs.str[to] = regs.str[from] ?? fill
    },
  }
}
