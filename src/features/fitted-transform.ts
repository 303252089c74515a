import { invalidParameter } from '../core/errors.js'
import { Frame, type Column, type Row } from '../core/frame.js'
import { createRegisters, type ColumnKind, type ColumnStep, type RowRegisters, type StepFitContext, type TransformDefinition } from './column-step.js'
import { checkSelector, resolveColumns, type ColumnSelector } from './column-selector.js'
import { TRANSFORMS } from './definitions.js'
import { readRowInput } from './row-input.js'

/** A transform as JSON: its `type`, the `columns` it takes, and its options (see each transform). */
export interface TransformSpec {
  readonly type: string
  readonly columns: ColumnSelector
  readonly [option: string]: unknown
}

export interface TransformOutput {
  readonly name: string
  readonly kind: ColumnKind
}

function definitionOf(spec: unknown, where: string): { definition: TransformDefinition<unknown>; spec: TransformSpec; options: unknown } {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalidParameter(`${where} must be an object like { "type": "impute", "columns": [...] }.`)
  const s = spec as Record<string, unknown>
  const type = s['type']
  const definition = typeof type === 'string' ? TRANSFORMS.get(type) : undefined
  if (definition === undefined) throw invalidParameter(`${where}: 'type' must be one of ${[...TRANSFORMS.keys()].join(', ')}, got ${JSON.stringify(type)}.`)
  const label = `${where} (${type as string})`
  const columns = checkSelector(s['columns'], label)
  return { definition, spec: { ...s, type: type as string, columns }, options: definition.resolve(s, label) }
}

/**
 * One fitted transform over its columns. `transform(frame)` replaces each input column by its outputs, in
 * place; `transformRow(row, out)` writes the same outputs (numbers to `out.num`, categories to `out.str`) in
 * the order of `outputs`.
 */
export class FittedTransform {
  readonly outputs: readonly TransformOutput[]
  private readonly regs: RowRegisters

  constructor(
    readonly spec: TransformSpec,
    readonly steps: readonly ColumnStep[],
  ) {
    this.outputs = steps.flatMap((s) => s.outputs.map((name) => ({ name, kind: s.outputKind })))
    this.regs = createRegisters(steps.length + this.outputs.length)
  }

  get inputs(): string[] {
    return this.steps.map((s) => s.input)
  }

  transform(frame: Frame): Frame {
    return replaceColumns(frame, this.steps, (step, column) => step.applyColumn(checkKind(step, column)))
  }

  createOutput(): RowRegisters {
    return createRegisters(this.outputs.length)
  }

  transformRow(row: Row, out: RowRegisters = this.createOutput()): RowRegisters {
    const { regs, steps } = this
    let to = steps.length
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      readRowInput(row, step.input, step.inputKind, regs, i)
      step.applyRow(regs, i, to)
      to += step.outputs.length
    }
    for (let j = 0; j < this.outputs.length; j++) {
      out.num[j] = regs.num[steps.length + j]!
      out.str[j] = regs.str[steps.length + j] ?? null
    }
    return out
  }

  static load(spec: unknown, columns: ReadonlyArray<{ input: string; inputKind: ColumnKind; state: unknown }>, where: string): FittedTransform {
    const { definition, spec: checked, options } = definitionOf(spec, where)
    return new FittedTransform(
      checked,
      columns.map((c) => definition.load(c.input, c.inputKind, options, c.state)),
    )
  }
}

export function checkKind(step: ColumnStep, column: Column): Column {
  if (column.kind !== step.inputKind) {
    throw invalidParameter(
      `Column '${column.name}' is ${column.kind} but was ${step.inputKind} when the features were fitted; read it with the same type as the training data.`,
    )
  }
  return column
}

function replaceColumns(frame: Frame, steps: readonly ColumnStep[], apply: (step: ColumnStep, column: Column) => Column[]): Frame {
  const byInput = new Map(steps.map((s) => [s.input, s]))
  for (const s of steps) frame.column(s.input)
  const columns: Column[] = []
  for (const column of frame.columns) {
    const step = byInput.get(column.name)
    if (step === undefined) columns.push(column)
    else columns.push(...apply(step, column))
  }
  return new Frame(columns)
}

/**
 * Fits one transform on `frame` (whose columns are the candidates for its selector) and returns it with the
 * frame training should see: the transformed frame, except that cross-fitted steps give their out-of-fold values.
 */
export function fitTransform(spec: unknown, frame: Frame, context: StepFitContext, where = 'transform'): { fitted: FittedTransform; training: Frame } {
  const { definition, spec: checked, options } = definitionOf(spec, where)
  const names = resolveColumns(checked.columns, frame.columns, definition.accepts, `${where} (${checked.type})`)
  const training = new Map<string, Column[]>()
  const steps = names.map((name) => {
    const fitted = definition.fit(frame.column(name), options, context)
    training.set(name, fitted.training ?? fitted.step.applyColumn(frame.column(name)))
    return fitted.step
  })
  return { fitted: new FittedTransform(checked, steps), training: replaceColumns(frame, steps, (step) => training.get(step.input)!) }
}
