import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { compareStrings } from './stats.js'

/**
 * The target as numbers for target encoding: a numeric target as is, a two-class categorical target as 0/1
 * (1 = the later class in sorted order). Missing or non-finite targets are errors naming the fix.
 */
export function targetValues(frame: Frame, target: string): Float64Array {
  if (!frame.has(target)) throw invalidParameter(`The target column '${target}' is not in the data. Columns: ${frame.names.slice(0, 20).join(', ')}.`)
  const column = frame.column(target)
  if (column.kind === 'numeric') {
    for (let i = 0; i < column.values.length; i++) {
      const v = column.values[i]!
      if (!Number.isFinite(v)) throw invalidParameter(`The target '${target}' has ${Number.isNaN(v) ? 'a missing value' : v} at row ${i}; drop or fix those rows before fitting.`)
    }
    return column.values
  }
  const present = new Set<number>()
  for (let i = 0; i < column.codes.length; i++) {
    if (column.codes[i]! < 0) throw invalidParameter(`The target '${target}' has a missing value at row ${i}; drop those rows before fitting.`)
    present.add(column.codes[i]!)
  }
  const classes = [...present].map((c) => column.categories[c]!).sort(compareStrings)
  if (classes.length !== 2) {
    throw invalidParameter(`The target '${target}' has ${classes.length} classes; target encoding needs a numeric or two-class target (one-hot encode the features for a multiclass target).`)
  }
  const positive = column.categories.indexOf(classes[1]!)
  return Float64Array.from(column.codes, (c) => (c === positive ? 1 : 0))
}
