import { invalidParameter } from '../core/errors.js'
import type { CategoricalColumn, Column } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { optionalEnum, optionalNumber, stateRecord, stateStrings } from './spec-options.js'
import { codeCounts, compareStrings } from './stats.js'

export interface OrdinalSpec {
  /** An explicit order per column (e.g. low < medium < high); otherwise categories sorted, as scikit-learn does. */
  categories?: Record<string, string[]>
  /** 'error' (default) or 'value': encode an unseen category as `unknownValue` (default -1). */
  handleUnknown: 'error' | 'value'
  unknownValue: number
}

/** Categories to their index; a missing value stays missing (NaN), as in scikit-learn's OrdinalEncoder. */
export const ordinal: TransformDefinition<OrdinalSpec> = {
  type: 'ordinal',
  accepts: ['categorical'],
  resolve(spec, where) {
    const out: OrdinalSpec = {
      handleUnknown: optionalEnum(spec, 'handleUnknown', ['error', 'value'], where) ?? 'error',
      unknownValue: optionalNumber(spec, 'unknownValue', where) ?? -1,
    }
    const given = spec['categories']
    if (given !== undefined) {
      if (typeof given !== 'object' || given === null || Array.isArray(given)) throw invalidParameter(`${where}: 'categories' must map column names to ordered lists of categories.`)
      for (const [col, list] of Object.entries(given)) {
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string') || new Set(list).size !== list.length) {
          throw invalidParameter(`${where}: 'categories.${col}' must be a list of distinct strings.`)
        }
      }
      out.categories = given as Record<string, string[]>
    }
    return out
  },
  fit(column, spec) {
    const { codes, categories } = column as CategoricalColumn
    const { counts } = codeCounts(codes, categories.length)
    const seen = categories.filter((_, c) => counts[c]! > 0)
    const explicit = spec.categories?.[column.name]
    if (explicit === undefined && seen.length === 0) {
      throw invalidParameter(`Column '${column.name}' is all missing, so ordinal encoding has no categories; impute it first or drop the column.`)
    }
    if (explicit !== undefined && spec.handleUnknown === 'error') {
      const allowed = new Set(explicit)
      const stray = seen.find((s) => !allowed.has(s))
      if (stray !== undefined) throw invalidParameter(`Column '${column.name}' has the category '${stray}', which is not in the ordinal step's categories.${column.name}; add it to the list.`)
    }
    return { step: ordinalStep(column.name, spec, explicit ?? seen.sort(compareStrings)) }
  },
  load(input, _kind, spec, state) {
    const where = `ordinal '${input}'`
    return ordinalStep(input, spec, stateStrings(stateRecord(state, where), 'levels', where))
  },
}

function ordinalStep(name: string, spec: OrdinalSpec, levels: string[]): ColumnStep {
  const index = new Map(levels.map((l, i) => [l, i]))
  const encode = (value: string | null): number => {
    if (value === null) return Number.NaN
    const i = index.get(value)
    if (i !== undefined) return i
    if (spec.handleUnknown === 'value') return spec.unknownValue
    throw invalidParameter(
      `Column '${name}' has the category '${value}', which was not seen in training; set the ordinal step's handleUnknown to 'value' or retrain with data that has it.`,
    )
  }
  return {
    input: name,
    inputKind: 'categorical',
    outputs: [name],
    outputKind: 'numeric',
    state: { levels },
    applyColumn(column): Column[] {
      const { codes, categories } = column as CategoricalColumn
      const { counts } = codeCounts(codes, categories.length)
      const table = new Float64Array(categories.length)
      for (let c = 0; c < categories.length; c++) table[c] = counts[c]! > 0 ? encode(categories[c]!) : Number.NaN
      const out = new Float64Array(codes.length)
      for (let i = 0; i < codes.length; i++) out[i] = codes[i]! < 0 ? Number.NaN : table[codes[i]!]!
      return [{ kind: 'numeric', name, dtype: 'float', values: out }]
    },
    applyRow(regs, from, to) {
      regs.num[to] = encode(regs.str[from] ?? null)
    },
  }
}
