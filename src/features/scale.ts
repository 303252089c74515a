import { invalidParameter } from '../core/errors.js'
import type { NumericColumn } from '../core/frame.js'
import type { ColumnStep, TransformDefinition } from './column-step.js'
import { numericStep } from './numeric-step.js'
import { optionalPair, stateNumber, stateRecord } from './spec-options.js'
import { percentileSorted, presentMean, presentVariance, sortedPresent } from './stats.js'

/**
 * The three scalers as scikit-learn defines them (missing values are ignored when fitting and stay missing):
 * standard (x - mean) / std, min-max x * scale + min, robust (x - median) / IQR. A zero spread scales by 1.
 */
export interface StandardScaleSpec {
  withMean: boolean
  withStd: boolean
}
export interface MinMaxScaleSpec {
  featureRange: [number, number]
}
export interface RobustScaleSpec {
  quantileRange: [number, number]
}

function nonEmpty(column: NumericColumn, type: string): Float64Array {
  const sorted = sortedPresent(column.values)
  if (sorted.length === 0) throw invalidParameter(`Column '${column.name}' is all missing, so ${type} cannot learn its scale; impute it first or drop the column.`)
  return sorted
}

function zeroToOne(spread: number): number {
  return spread === 0 ? 1 : spread
}

export const standardScale: TransformDefinition<StandardScaleSpec> = {
  type: 'standardScale',
  accepts: ['numeric'],
  resolve(spec, where) {
    for (const f of ['withMean', 'withStd']) {
      if (spec[f] !== undefined && typeof spec[f] !== 'boolean') throw invalidParameter(`${where}: '${f}' must be true or false.`)
    }
    return { withMean: spec['withMean'] !== false, withStd: spec['withStd'] !== false }
  },
  fit(column, spec) {
    const values = (column as NumericColumn).values
    const sorted = nonEmpty(column as NumericColumn, 'standardScale')
    const { mean } = presentMean(values)
    const variance = presentVariance(values, mean)
    // scikit-learn's _is_constant_feature: a variance within rounding of zero means a constant column.
    const eps = Number.EPSILON
    const n = sorted.length
    const constant = variance <= n * eps * variance + (n * mean * eps) ** 2
    return { step: centerScaleStep(column.name, spec.withMean ? mean : 0, spec.withStd && !constant ? Math.sqrt(variance) : 1) }
  },
  load(input, _kind, _spec, state) {
    const s = stateRecord(state, `standardScale '${input}'`)
    return centerScaleStep(input, stateNumber(s, 'center', input), stateNumber(s, 'scale', input))
  },
}

export const robustScale: TransformDefinition<RobustScaleSpec> = {
  type: 'robustScale',
  accepts: ['numeric'],
  resolve(spec, where) {
    const range = optionalPair(spec, 'quantileRange', where) ?? [25, 75]
    if (range[0] < 0 || range[1] > 100) throw invalidParameter(`${where}: 'quantileRange' must lie within [0, 100], got ${JSON.stringify(range)}.`)
    return { quantileRange: range }
  },
  fit(column, spec) {
    const sorted = nonEmpty(column as NumericColumn, 'robustScale')
    const center = percentileSorted(sorted, 50)
    const spread = percentileSorted(sorted, spec.quantileRange[1]) - percentileSorted(sorted, spec.quantileRange[0])
    return { step: centerScaleStep(column.name, center, zeroToOne(spread)) }
  },
  load(input, _kind, _spec, state) {
    const s = stateRecord(state, `robustScale '${input}'`)
    return centerScaleStep(input, stateNumber(s, 'center', input), stateNumber(s, 'scale', input))
  },
}

export const minMaxScale: TransformDefinition<MinMaxScaleSpec> = {
  type: 'minMaxScale',
  accepts: ['numeric'],
  resolve(spec, where) {
    return { featureRange: optionalPair(spec, 'featureRange', where) ?? [0, 1] }
  },
  fit(column, spec) {
    const sorted = nonEmpty(column as NumericColumn, 'minMaxScale')
    const [low, high] = spec.featureRange
    const dataMin = sorted[0]!
    const scale = (high - low) / zeroToOne(sorted[sorted.length - 1]! - dataMin)
    return { step: multiplyAddStep(column.name, scale, low - dataMin * scale) }
  },
  load(input, _kind, _spec, state) {
    const s = stateRecord(state, `minMaxScale '${input}'`)
    return multiplyAddStep(input, stateNumber(s, 'scale', input), stateNumber(s, 'offset', input))
  },
}

function centerScaleStep(name: string, center: number, scale: number): ColumnStep {
  return numericStep(name, { center, scale }, (v) => (v - center) / scale)
}

function multiplyAddStep(name: string, scale: number, offset: number): ColumnStep {
  return numericStep(name, { scale, offset }, (v) => v * scale + offset)
}
