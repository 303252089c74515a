import { invalidParameter } from '../core/errors.js'
import type { Row } from '../core/frame.js'
import type { ColumnKind, RowRegisters } from './column-step.js'

/**
 * Reads one input value of a JSON row into a register, with Frame.fromRecords' rules (so a row and a frame
 * built from the same records agree): null is missing, booleans are 0/1, numeric strings parse, '' is a
 * missing category. An absent column is an error naming it.
 */
export function readRowInput(row: Row, name: string, kind: ColumnKind, regs: RowRegisters, slot: number): void {
  const v = row[name]
  if (v === undefined) {
    throw invalidParameter(`The row has no column '${name}', which the feature pipeline was fitted with; send it (null for a missing value).`)
  }
  if (kind === 'numeric') {
    if (v === null) regs.num[slot] = Number.NaN
    else if (typeof v === 'number') regs.num[slot] = v
    else if (typeof v === 'boolean') regs.num[slot] = v ? 1 : 0
    else {
      const n = Number(v)
      if (v.trim() === '' || Number.isNaN(n)) throw invalidParameter(`Column '${name}' expects a number, got '${v}'; send a number or null.`)
      regs.num[slot] = n
    }
    return
  }
  regs.str[slot] = v === null || v === '' ? null : String(v)
}
