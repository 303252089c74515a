import type { Frame } from '../core/frame.js'
import { cellValue } from '../core/frame.js'
import type { Task } from '../models/predictor.js'
import type { ColumnSpec } from '../registry/types.js'

/** Classification when the target is categorical, boolean, or integers with at most this many values. */
const MAX_INFERRED_CLASSES = 20

export function inferTask(frame: Frame, target: string): Task {
  const column = frame.column(target)
  if (column.kind === 'categorical' || column.dtype === 'bool') return 'classification'
  const seen = new Set<number>()
  for (const v of column.values) {
    if (!Number.isFinite(v)) continue
    if (!Number.isInteger(v)) return 'regression'
    seen.add(v)
    if (seen.size > MAX_INFERRED_CLASSES) return 'regression'
  }
  return 'classification'
}

/** MLflow ColSpec types of the raw input columns. */
export function inputSignature(frame: Frame, features: readonly string[]): ColumnSpec[] {
  return features.map((name) => {
    const column = frame.column(name)
    if (column.kind === 'categorical') return { name, type: 'string' }
    const type = column.dtype === 'int' ? 'long' : column.dtype === 'bool' ? 'boolean' : column.dtype === 'datetime' ? 'datetime' : 'double'
    return { name, type }
  })
}

export function outputSignature(task: Task, classes: readonly string[] | undefined): ColumnSpec[] {
  if (task === 'regression') return [{ name: 'prediction', type: 'double' }]
  return [{ name: 'class', type: 'string' }, ...(classes ?? []).map((c) => ({ name: `proba_${c}`, type: 'double' }))]
}

export function firstRow(frame: Frame, features: readonly string[]): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {}
  for (const name of features) out[name] = frame.rows === 0 ? null : cellValue(frame.column(name), 0)
  return out
}
