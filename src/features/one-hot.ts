import { invalidParameter } from '../core/errors.js'
import type { CategoricalColumn, Column } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { optionalEnum, optionalNumber, stateRecord, stateStrings } from './spec-options.js'
import { codeCounts, compareStrings } from './stats.js'

export type UnknownPolicy = 'error' | 'ignore' | 'infrequent'
export type MissingPolicy = 'category' | 'ignore' | 'error'

export interface OneHotSpec {
  /**
   * A category not seen in training: 'error' (default) throws naming it; 'ignore' encodes all zeros;
   * 'infrequent' sets the `<infrequent>` column, which then always exists (scikit-learn's
   * 'infrequent_if_exist' adds it only when some training category was infrequent).
   */
  handleUnknown: UnknownPolicy
  /** 'category' (default): missing is one more category, as in scikit-learn; 'ignore': all zeros; 'error'. */
  missing: MissingPolicy
  /** Categories seen fewer times than this (a count, or a fraction of rows when < 1) pool into `<infrequent>`. */
  minFrequency?: number
}

export const MISSING_LEVEL = '<missing>'
export const INFREQUENT_LEVEL = '<infrequent>'

/** Fitted one-hot state: output columns are `levels`, then `<missing>` if kept, then `<infrequent>` if any. */
interface OneHotState {
  levels: string[]
  missingLevel: boolean
  infrequent: string[]
  missingInfrequent: boolean
  infrequentLevel: boolean
}

export const oneHot: TransformDefinition<OneHotSpec> = {
  type: 'oneHot',
  accepts: ['categorical'],
  resolve(spec, where) {
    const minFrequency = optionalNumber(spec, 'minFrequency', where)
    if (minFrequency !== undefined && minFrequency <= 0) throw invalidParameter(`${where}: 'minFrequency' must be positive, got ${minFrequency}.`)
    const out: OneHotSpec = {
      handleUnknown: optionalEnum(spec, 'handleUnknown', ['error', 'ignore', 'infrequent'], where) ?? 'error',
      missing: optionalEnum(spec, 'missing', ['category', 'ignore', 'error'], where) ?? 'category',
    }
    if (minFrequency !== undefined) out.minFrequency = minFrequency
    return out
  },
  fit(column, spec) {
    const { codes, categories } = column as CategoricalColumn
    const { counts, missing } = codeCounts(codes, categories.length)
    const threshold = spec.minFrequency === undefined ? 1 : spec.minFrequency < 1 ? spec.minFrequency * codes.length : spec.minFrequency
    const seen = categories.filter((_, c) => counts[c]! > 0).sort(compareStrings)
    const countOf = new Map(categories.map((name, c) => [name, counts[c]!]))
    if (missing > 0 && spec.missing === 'error') throw missingError(column.name)
    const state: OneHotState = { levels: [], missingLevel: false, infrequent: [], missingInfrequent: false, infrequentLevel: false }
    for (const name of seen) (countOf.get(name)! < threshold ? state.infrequent : state.levels).push(name)
    if (missing > 0 && spec.missing === 'category') {
      if (missing < threshold) state.missingInfrequent = true
      else state.missingLevel = true
    }
    state.infrequentLevel = state.infrequent.length > 0 || state.missingInfrequent || spec.handleUnknown === 'infrequent'
    if (state.levels.length === 0 && !state.missingLevel && !state.infrequentLevel) {
      throw invalidParameter(`Column '${column.name}' is all missing, so one-hot has no categories to encode; impute it first or drop the column.`)
    }
    return { step: oneHotStep(column.name, spec, state) }
  },
  load(input, _kind, spec, raw) {
    const where = `oneHot '${input}'`
    const s = stateRecord(raw, where)
    const flag = (f: string): boolean => s[f] === true
    return oneHotStep(input, spec, {
      levels: stateStrings(s, 'levels', where),
      missingLevel: flag('missingLevel'),
      infrequent: stateStrings(s, 'infrequent', where),
      missingInfrequent: flag('missingInfrequent'),
      infrequentLevel: flag('infrequentLevel'),
    })
  },
}

function missingError(name: string): Error {
  return invalidParameter(`Column '${name}' has a missing value and its one-hot step has missing: 'error'; impute the column first or set missing to 'category' or 'ignore'.`)
}

function oneHotStep(name: string, spec: OneHotSpec, state: OneHotState): ColumnStep {
  const outputs = state.levels.map((l) => `${name}=${l}`)
  if (state.missingLevel) outputs.push(`${name}=${MISSING_LEVEL}`)
  const infrequentAt = state.infrequentLevel ? outputs.length : -1
  if (state.infrequentLevel) outputs.push(`${name}=${INFREQUENT_LEVEL}`)
  const width = outputs.length
  const position = new Map<string, number>()
  state.levels.forEach((l, i) => position.set(l, i))
  for (const l of state.infrequent) position.set(l, infrequentAt)
  const missingAt = state.missingLevel ? state.levels.length : state.missingInfrequent ? infrequentAt : -2

  const unknown = (value: string): number => {
    if (spec.handleUnknown === 'ignore') return -1
    if (spec.handleUnknown === 'infrequent') return infrequentAt
    const shown = state.levels.slice(0, 10).join(', ')
    throw invalidParameter(
      `Column '${name}' has the category '${value}', which was not seen in training (known: ${shown}${state.levels.length > 10 ? ', …' : ''}); ` +
        `set the one-hot step's handleUnknown to 'ignore' or 'infrequent', or retrain with data that has it.`,
    )
  }
  // The output column (0..width-1) for a value, or -1 for all zeros; throws per the policies.
  const columnOf = (value: string | null): number => {
    if (value === null) {
      if (missingAt !== -2) return missingAt
      if (spec.missing === 'ignore') return -1
      if (spec.missing === 'error') throw missingError(name)
      return unknown(MISSING_LEVEL)
    }
    return position.get(value) ?? unknown(value)
  }

  return {
    input: name,
    inputKind: 'categorical',
    outputs,
    outputKind: 'numeric',
    state,
    applyColumn(column): Column[] {
      const { codes, categories } = column as CategoricalColumn
      const { counts, missing } = codeCounts(codes, categories.length)
      // Resolve each category that occurs once; only values that occur can raise an error, as in row mode.
      const target = new Int32Array(categories.length)
      for (let c = 0; c < categories.length; c++) target[c] = counts[c]! > 0 ? columnOf(categories[c]!) : -1
      const missingTarget = missing > 0 ? columnOf(null) : -1
      const out = Array.from({ length: width }, () => new Float64Array(codes.length))
      for (let i = 0; i < codes.length; i++) {
        const code = codes[i]!
        const at = code < 0 ? missingTarget : target[code]!
        if (at >= 0) out[at]![i] = 1
      }
      return out.map((values, j) => ({ kind: 'numeric', name: outputs[j]!, dtype: 'float', values }))
    },
    applyRow(regs, from, to) {
      const at = columnOf(regs.str[from] ?? null)
      for (let j = 0; j < width; j++) regs.num[to + j] = 0
      if (at >= 0) regs.num[to + at] = 1
    },
  }
}
