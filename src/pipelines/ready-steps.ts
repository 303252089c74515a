import { invalidParameter } from '../core/errors.js'
import type { PipelineDefinition, StepRunRecord, StepSpec, StepValue } from './types.js'

/** Step statuses after which dependents may run. */
const DONE_OK = new Set(['succeeded', 'cached'])
/** Step statuses after which nothing will change any more. */
export const TERMINAL = new Set(['succeeded', 'cached', 'failed', 'skipped', 'cancelled'])

/** The steps whose outputs `spec` reads (each once). */
export function upstreamOf(spec: StepSpec): string[] {
  const out: string[] = []
  for (const source of Object.values(spec.inputs ?? {})) {
    if (source.from === 'step' && !out.includes(source.step)) out.push(source.step)
  }
  return out
}

/** The run's parameters: the given ones over the definition's defaults. A required one missing is refused. */
export function resolveParams(definition: PipelineDefinition, given: Record<string, StepValue>): Record<string, StepValue> {
  const params: Record<string, StepValue> = {}
  for (const [name, param] of Object.entries(definition.params)) {
    const value = given[name] ?? param.default
    if (value === undefined) {
      throw invalidParameter(`Pipeline '${definition.name}' needs parameter '${name}' (${param.type}); pass it, e.g. --param ${name}=…`)
    }
    params[name] = value
  }
  for (const name of Object.keys(given)) {
    if (!(name in definition.params)) {
      throw invalidParameter(
        `Pipeline '${definition.name}' has no parameter '${name}'; its parameters are: ${Object.keys(definition.params).join(', ') || '(none)'}.`,
      )
    }
  }
  return params
}

/** The values of a step's inputs, from the run's params, its upstream steps' outputs, or constants. */
export function resolveInputs(
  spec: StepSpec,
  params: Readonly<Record<string, StepValue>>,
  records: ReadonlyMap<string, StepRunRecord>,
): Record<string, StepValue> {
  const inputs: Record<string, StepValue> = {}
  for (const [name, source] of Object.entries(spec.inputs ?? {})) {
    let value: StepValue | undefined
    if (source.from === 'param') value = params[source.name]
    else if (source.from === 'value') value = source.value
    else value = records.get(source.step)?.outputs?.[source.output]
    // A missing optional output reads as null rather than breaking the JSON of the job.
    inputs[name] = value ?? null
  }
  return inputs
}

/** Whether a `when` input lets the step run: `true`, or a gate value `{ passed: true }`. */
export function whenHolds(value: StepValue | undefined): boolean {
  if (value === true) return true
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value['passed'] === true
  return false
}

export interface NextActions {
  /** Pending steps whose upstream steps all succeeded (or were cached), and whose `when` holds. */
  ready: StepSpec[]
  /** Pending steps to mark skipped: an upstream step was skipped, or their `when` is false. */
  skip: Array<{ spec: StepSpec; reason: string }>
}

/**
 * What can happen next in a run, from the steps' records alone (so a resumed run decides exactly as
 * the crashed one would have). Steps below a failed/cancelled step stay pending: the engine cancels them
 * when the run ends.
 */
export function nextActions(
  definition: PipelineDefinition,
  params: Readonly<Record<string, StepValue>>,
  records: ReadonlyMap<string, StepRunRecord>,
): NextActions {
  const ready: StepSpec[] = []
  const skip: NextActions['skip'] = []
  for (const spec of definition.steps) {
    if (records.get(spec.name)?.status !== 'pending') continue
    let allOk = true
    let skippedUpstream: string | undefined
    for (const up of upstreamOf(spec)) {
      const status = records.get(up)?.status
      if (status === 'skipped') skippedUpstream ??= up
      else if (status === undefined || !DONE_OK.has(status)) allOk = false
    }
    if (skippedUpstream !== undefined) {
      skip.push({ spec, reason: `upstream step '${skippedUpstream}' was skipped` })
      continue
    }
    if (!allOk) continue
    if (spec.when !== undefined) {
      const inputs = resolveInputs(spec, params, records)
      if (!whenHolds(inputs[spec.when.input])) {
        skip.push({ spec, reason: `'when' input '${spec.when.input}' is not true` })
        continue
      }
    }
    ready.push(spec)
  }
  return { ready, skip }
}
