import type { Column, Frame } from '../core/frame.js'
import { columnFrequent } from './profile.js'
import { FrequentItems } from './sketches/frequent-items.js'
import type { ColumnProfile, DatasetProfile } from './types.js'

/**
 * Data quality of live traffic against the reference profile, per column and window, as numbers a rule can
 * watch. Every value is a share in [0, 1] unless its name says count:
 *
 * - `quality.missing.<col>`: missing cells / rows.
 * - `quality.out_of_range.<col>` (numeric): present values outside the reference [min, max] / present values.
 * - `quality.new_categories.<col>` (categorical): present values whose category the reference never had / present
 *   values; `quality.new_category_count.<col>`: how many distinct new categories.
 * - `quality.type_mismatch.<col>`: present values of the other kind (strings where the reference had numbers,
 *   or the reverse) / present values. A Frame column has one kind, so that share is 0 or 1; row-level
 *   mismatches inside a column are counted where rows are decoded (the monitor does).
 * - `quality.missing_column.<col>` = 1: a reference column absent from the window (schema violation).
 * - `quality.unexpected_column.<col>` = 1: a window column the reference does not have (schema violation).
 * - `quality.schema_violations` (count), `quality.missing` (all reference columns' missing cells / cells).
 *
 * The reference's categories are its frequent items. While the reference column had at most the sketch's
 * capacity of distinct values (the usual case for categories) that set is exact; beyond it, a rare reference
 * category may be reported as new, which over-reports rather than hides a change.
 */
export function dataQuality(reference: DatasetProfile, current: Frame): Record<string, number> {
  const out: Record<string, number> = {}
  const rows = current.rows
  const known = new Set(reference.columns.map((c) => c.name))
  let violations = 0
  let missingCells = 0
  let cells = 0
  for (const ref of reference.columns) {
    if (!current.has(ref.name)) {
      out[`quality.missing_column.${ref.name}`] = 1
      violations++
      continue
    }
    const column = current.column(ref.name)
    const stats = columnQuality(ref, column)
    missingCells += stats.missing
    cells += rows
    out[`quality.missing.${ref.name}`] = share(stats.missing, rows)
    out[`quality.type_mismatch.${ref.name}`] = share(stats.mismatched, stats.present)
    if (ref.kind === 'numeric') out[`quality.out_of_range.${ref.name}`] = share(stats.outOfRange, stats.present)
    else {
      out[`quality.new_categories.${ref.name}`] = share(stats.newValues, stats.present)
      out[`quality.new_category_count.${ref.name}`] = stats.newCategories
    }
  }
  for (const name of current.names) {
    if (known.has(name)) continue
    out[`quality.unexpected_column.${name}`] = 1
    violations++
  }
  out['quality.schema_violations'] = violations
  out['quality.missing'] = share(missingCells, cells)
  return out
}

interface ColumnStats {
  missing: number
  present: number
  mismatched: number
  outOfRange: number
  newValues: number
  newCategories: number
}

function columnQuality(ref: ColumnProfile, column: Column): ColumnStats {
  const stats: ColumnStats = { missing: 0, present: 0, mismatched: 0, outOfRange: 0, newValues: 0, newCategories: 0 }
  if (column.kind === 'numeric') {
    const values = column.values
    // NaN bounds (a reference column without values) make every comparison false: nothing out of range.
    const min = ref.min
    const max = ref.max
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (Number.isNaN(v)) stats.missing++
      else if (v < min || v > max) stats.outOfRange++
    }
    stats.present = values.length - stats.missing
    if (ref.kind !== 'numeric') {
      stats.mismatched = stats.present
      stats.outOfRange = 0
    }
    return stats
  }
  // Categorical: count per code once, then compare each category with the reference's set.
  const counts = new Float64Array(column.categories.length)
  for (let i = 0; i < column.codes.length; i++) {
    const code = column.codes[i]!
    if (code < 0) stats.missing++
    else counts[code]!++
  }
  stats.present = column.codes.length - stats.missing
  if (ref.kind !== 'categorical') {
    stats.mismatched = stats.present
    return stats
  }
  const categories = referenceCategories(ref)
  for (let c = 0; c < counts.length; c++) {
    if (counts[c]! === 0 || categories.has(column.categories[c]!)) continue
    stats.newValues += counts[c]!
    stats.newCategories++
  }
  return stats
}

/** The reference's categories, as strings (numbers in a frequent-items sketch are compared by their text). */
export function referenceCategories(ref: ColumnProfile): Set<string> {
  return new Set(columnFrequent(ref).map((item) => String(item.value)))
}

/** Whether the reference's category set is complete (its frequent-items sketch never purged or overflowed). */
export function referenceCategoriesExact(ref: ColumnProfile): boolean {
  if (ref.frequent === undefined) return false
  const sketch = FrequentItems.fromJSON(ref.frequent)
  return !sketch.overflowed && sketch.offset === 0
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0
}
