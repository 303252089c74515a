import type { StepKind } from '../types.js'
import { ingestStep, splitStep, validateStep } from './data-steps.js'
import { evaluateStep, fitStep, gateStep } from './model-steps.js'
import { batchScoreStep, monitorReportStep } from './ops-steps.js'
import { promoteStep, registerStep } from './registry-steps.js'

export { ingestStep, splitStep, validateStep, frameToCsv } from './data-steps.js'
export { evaluateModel, evaluateStep, fitStep, gateStep } from './model-steps.js'
export { batchScoreStep, monitorReportStep } from './ops-steps.js'
export { PIPELINE_STEP_TAG, promoteStep, registerStep } from './registry-steps.js'
export type { DatasetRef, ModelRef } from './step-values.js'

/** Every built-in step kind, in pipeline order. */
export const BUILT_IN_STEPS: readonly StepKind[] = [
  ingestStep,
  validateStep,
  splitStep,
  fitStep,
  evaluateStep,
  gateStep,
  registerStep,
  promoteStep,
  batchScoreStep,
  monitorReportStep,
]

/**
 * Registers keel's built-in steps (`keel.ingest` … `keel.monitor-report`) in a step registry, skipping kinds it
 * already has (a worker and its engine may both call this). Typed structurally so any registry with
 * `register`/`has` fits.
 */
export function builtInSteps<R extends { register(kind: StepKind): unknown; has(name: string): boolean }>(registry: R): R {
  for (const kind of BUILT_IN_STEPS) if (!registry.has(kind.name)) registry.register(kind)
  return registry
}
export { stepTable } from './step-table.js'
