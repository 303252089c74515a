import type { NumericColumn } from '../core/frame.js'
import type { ColumnStep } from './column-step.js'

/** A numeric → numeric step; frame and row mode both call `f`, so they agree bit for bit. */
export function numericStep(name: string, state: unknown, f: (v: number) => number): ColumnStep {
  return {
    input: name,
    inputKind: 'numeric',
    outputs: [name],
    outputKind: 'numeric',
    state,
    applyColumn(column) {
      const { values } = column as NumericColumn
      const out = new Float64Array(values.length)
      for (let i = 0; i < values.length; i++) out[i] = f(values[i]!)
      return [{ kind: 'numeric', name, dtype: 'float', values: out }]
    },
    applyRow(regs, from, to) {
      regs.num[to] = f(regs.num[from]!)
    },
  }
}
