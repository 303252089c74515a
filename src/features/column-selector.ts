import { invalidParameter } from '../core/errors.js'
import type { Column } from '../core/frame.js'
import type { ColumnKind } from './column-step.js'

/** Which columns a transform takes: explicit names, or every column of a kind (minus `exclude`). */
export type ColumnSelector = readonly string[] | { readonly kind?: ColumnKind; readonly names?: readonly string[]; readonly exclude?: readonly string[] }

export function checkSelector(value: unknown, where: string): ColumnSelector {
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string')
  if (strings(value)) return value
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const s = value as Record<string, unknown>
    const unknownKey = Object.keys(s).find((k) => !['kind', 'names', 'exclude'].includes(k))
    if (unknownKey !== undefined) throw invalidParameter(`${where}: 'columns' has the unknown field '${unknownKey}'; use 'kind', 'names' or 'exclude'.`)
    if (s['kind'] !== undefined && s['kind'] !== 'numeric' && s['kind'] !== 'categorical') throw invalidParameter(`${where}: 'columns.kind' must be 'numeric' or 'categorical'.`)
    for (const f of ['names', 'exclude']) if (s[f] !== undefined && !strings(s[f])) throw invalidParameter(`${where}: 'columns.${f}' must be a list of column names.`)
    return s as ColumnSelector
  }
  throw invalidParameter(`${where}: 'columns' must be a list of column names or a selector like { "kind": "categorical" }.`)
}

/** The columns a selector picks, in frame order for kind selectors and in the given order for names. */
export function resolveColumns(selector: ColumnSelector, columns: readonly Column[], accepts: readonly ColumnKind[], where: string): string[] {
  const byName = new Map(columns.map((c) => [c.name, c]))
  const named = Array.isArray(selector) ? (selector as readonly string[]) : (selector as { names?: readonly string[] }).names
  if (named !== undefined) {
    for (const name of named) {
      const column = byName.get(name)
      if (column === undefined) throw invalidParameter(`${where}: no column '${name}' at this step. Columns: ${[...byName.keys()].slice(0, 20).join(', ')}.`)
      if (!accepts.includes(column.kind)) {
        throw invalidParameter(`${where}: column '${name}' is ${column.kind} but this step takes ${accepts.join(' or ')} columns; encode or impute it first, or leave it out.`)
      }
    }
    if (new Set(named).size !== named.length) throw invalidParameter(`${where}: a column is listed twice in 'columns'.`)
    return [...named]
  }
  const { kind, exclude } = selector as { kind?: ColumnKind; exclude?: readonly string[] }
  const skip = new Set(exclude ?? [])
  return columns.filter((c) => accepts.includes(c.kind) && (kind === undefined || c.kind === kind) && !skip.has(c.name)).map((c) => c.name)
}
