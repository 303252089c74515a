import { invalidParameter } from '../core/errors.js'
import type { NumericColumn } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { numericStep } from './numeric-step.js'
import { optionalNumber, stateNumber, stateRecord } from './spec-options.js'
import { percentileSorted, sortedPresent } from './stats.js'

export interface LogSpec {
  /** Added before log1p; needed when the column can be negative. */
  shift: number
}

export interface ClipSpec {
  min?: number
  max?: number
  /** Percentiles (0–100) of the training data, used when `min` / `max` are not given. */
  lowerQuantile?: number
  upperQuantile?: number
}

function negative(name: string, value: number, shift: number): Error {
  return invalidParameter(
    `Column '${name}' has the value ${value}, and log1p needs value + shift ≥ 0 (shift is ${shift}); ` +
      `set the log step's 'shift' to at least ${-value}, or clip the column first.`,
  )
}

function logStep(name: string, shift: number): ColumnStep {
  return numericStep(name, { shift }, (v) => {
    const x = v + shift
    if (x < 0) throw negative(name, v, shift)
    return Math.log1p(x)
  })
}

/** log1p(x + shift). Negative input is an error rather than a silent NaN, at fit and at transform time. */
export const log: TransformDefinition<LogSpec> = {
  type: 'log',
  accepts: ['numeric'],
  resolve(spec, where) {
    return { shift: optionalNumber(spec, 'shift', where) ?? 0 }
  },
  fit(column, spec) {
    const { values } = column as NumericColumn
    for (let i = 0; i < values.length; i++) if (values[i]! + spec.shift < 0) throw negative(column.name, values[i]!, spec.shift)
    return { step: logStep(column.name, spec.shift) }
  },
  load(input, _kind, _spec, state) {
    return logStep(input, stateNumber(stateRecord(state, `log '${input}'`), 'shift', input))
  },
}

function clipStep(name: string, lower: number | null, upper: number | null): ColumnStep {
  const lo = lower ?? Number.NEGATIVE_INFINITY
  const hi = upper ?? Number.POSITIVE_INFINITY
  // Missing (NaN) fails both comparisons and stays missing.
  return numericStep(name, { lower, upper }, (v) => (v < lo ? lo : v > hi ? hi : v))
}

/** Limits values to [min, max], given or learnt as training percentiles. */
export const clip: TransformDefinition<ClipSpec> = {
  type: 'clip',
  accepts: ['numeric'],
  resolve(spec, where) {
    const out: ClipSpec = {}
    for (const f of ['min', 'max', 'lowerQuantile', 'upperQuantile'] as const) {
      const v = optionalNumber(spec, f, where)
      if (v !== undefined) out[f] = v
    }
    for (const f of ['lowerQuantile', 'upperQuantile'] as const) {
      const q = out[f]
      if (q !== undefined && (q < 0 || q > 100)) throw invalidParameter(`${where}: '${f}' is a percentile and must lie within [0, 100], got ${q}.`)
    }
    if (Object.keys(out).length === 0) throw invalidParameter(`${where}: give 'min', 'max', 'lowerQuantile' or 'upperQuantile'.`)
    if (out.min !== undefined && out.max !== undefined && out.min > out.max) throw invalidParameter(`${where}: 'min' (${out.min}) is above 'max' (${out.max}).`)
    return out
  },
  fit(column, spec) {
    const needsData = (spec.min === undefined && spec.lowerQuantile !== undefined) || (spec.max === undefined && spec.upperQuantile !== undefined)
    const sorted = needsData ? sortedPresent((column as NumericColumn).values) : new Float64Array(0)
    if (needsData && sorted.length === 0) throw invalidParameter(`Column '${column.name}' is all missing, so clip cannot learn its percentiles; give 'min'/'max' or drop the column.`)
    const lower = spec.min ?? (spec.lowerQuantile === undefined ? null : percentileSorted(sorted, spec.lowerQuantile))
    const upper = spec.max ?? (spec.upperQuantile === undefined ? null : percentileSorted(sorted, spec.upperQuantile))
    return { step: clipStep(column.name, lower, upper) }
  },
  load(input, _kind, _spec, state) {
    const s = stateRecord(state, `clip '${input}'`)
    const bound = (f: string): number | null => (s[f] === null ? null : stateNumber(s, f, input))
    return clipStep(input, bound('lower'), bound('upper'))
  },
}
