import type { Column } from '../core/frame.js'

export type ColumnKind = 'numeric' | 'categorical'

/**
 * Row-mode working memory of a fitted pipeline: one slot per column at every stage, numbers in `num`
 * (NaN = missing), categories as their string in `str` (null = missing). Allocated once per pipeline and
 * reused by every `transformRow` call, so scoring one row allocates nothing.
 */
export interface RowRegisters {
  readonly num: Float64Array
  readonly str: Array<string | null>
}

export function createRegisters(size: number): RowRegisters {
  return { num: new Float64Array(size), str: new Array<string | null>(size).fill(null) }
}

/**
 * One fitted transform applied to one input column. Every keel transform works column by column, so a
 * transform is a list of these. `applyColumn` (whole frame) and `applyRow` (one row) must compute the same
 * numbers; each implementation routes both through the same scalar code.
 */
export interface ColumnStep {
  readonly input: string
  readonly inputKind: ColumnKind
  /** Output column names, in order (empty for `drop`). */
  readonly outputs: readonly string[]
  readonly outputKind: ColumnKind
  applyColumn(column: Column): Column[]
  /** Reads the input at `regs[from]`, writes outputs to `regs[to]`, `regs[to + 1]`, ... */
  applyRow(regs: RowRegisters, from: number, to: number): void
  /** The fitted state, JSON-serialisable; `load` of the same transform type rebuilds the step from it. */
  readonly state: unknown
}

/** What a transform may use while fitting: the target (numeric, NaN never) and a seed for cross-fitting. */
export interface StepFitContext {
  readonly target?: Float64Array
  readonly targetName?: string
  readonly seed: number
}

/** A step plus the columns training should see, when they differ from `applyColumn` (cross-fitting). */
export interface FittedColumn {
  step: ColumnStep
  training?: Column[]
}

export interface TransformDefinition<Spec> {
  readonly type: string
  /** Kinds of column the transform takes; a selector picks only these, a named column of another kind is an error. */
  readonly accepts: readonly ColumnKind[]
  /** Checks the spec's options, naming the bad field; returns the spec with defaults filled in. */
  resolve(spec: Record<string, unknown>, where: string): Spec
  fit(column: Column, spec: Spec, context: StepFitContext): FittedColumn
  load(input: string, inputKind: ColumnKind, spec: Spec, state: unknown): ColumnStep
}
