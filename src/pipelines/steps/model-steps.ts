import type { Keel } from '../../client/keel.js'
import { isKeelError } from '../../core/errors.js'
import type { SchemaType } from '../../data/read-options.js'
import { readDataset } from '../../data/read-dataset.js'
import { evaluatePredictor } from '../../evaluation/cross-validate.js'
import { greaterIsBetter } from '../../evaluation/evaluate.js'
import { gate as runGate } from '../../evaluation/gate.js'
import type { MetricThreshold } from '../../evaluation/gate.js'
import { loadTrainedModel } from '../../training/load-trained-model.js'
import { train } from '../../training/train.js'
import type { TrainingSpecInput } from '../../training/spec.js'
import { MODEL_DIR, PipelinePredictor } from '../../training/trained-model.js'
import type { StepContext, StepKind, StepValue } from '../types.js'
import { artifactDirDigest, badInput, checkAborted, datasetInput, localPath, logToStepRun, metricsRecord, modelInput, objectInput, stringInput } from './step-values.js'
import type { DatasetRef, ModelRef } from './step-values.js'

/**
 * `keel.fit`: a training spec (docs/training.md, without `data.path`: the dataset input gives it) → `train()`.
 * The training run is nested under the step's run; registration is left to `keel.register` (a `register` or
 * `gate` in the spec is refused, so the pipeline decides what gets registered).
 */
export const fitStep: StepKind = {
  name: 'keel.fit',
  version: '1',
  inputs: { dataset: 'dataset', spec: 'json' },
  outputs: { model: 'model', runId: 'string', metrics: 'metrics' },
  async run(context) {
    const dataset = datasetInput(context, 'dataset')
    const given = objectInput(context, 'spec')
    for (const field of ['register', 'gate'] as const) {
      if (given[field] !== undefined) throw badInput(context, 'spec', `sets '${field}': in a pipeline, use the keel.gate / keel.register / keel.promote steps instead.`)
    }
    const data = given['data'] !== null && typeof given['data'] === 'object' && !Array.isArray(given['data']) ? given['data'] : {}
    const parent = await context.keel.tracking.getRun(context.trackingRunId)
    const tags = given['tags'] !== null && typeof given['tags'] === 'object' && !Array.isArray(given['tags']) ? given['tags'] : {}
    const spec = {
      ...given,
      data: { ...data, path: localPath(dataset.uri) },
      // The training run nests under this step's run (MLflow's parent tag), in the pipeline's experiment by default.
      tags: { ...tags, 'mlflow.parentRunId': context.trackingRunId, 'keel.pipeline.run': context.runId, 'keel.pipeline.step': context.step },
    } as unknown as TrainingSpecInput
    const result = await (given['experiment'] === undefined
      ? trainInExperiment(context.keel, spec, parent.info.experimentId, context)
      : train(spec, { keel: context.keel, signal: context.signal }))
    const run = await context.keel.tracking.getRun(result.runId)
    const uri = `runs:/${result.runId}/${MODEL_DIR}`
    const model: ModelRef = { uri, digest: await artifactDirDigest(context.keel.artifacts, `${run.info.artifactUri}/${MODEL_DIR}`) }
    await logToStepRun(context, { tags: { 'keel.fit.run_id': result.runId } })
    return { model, runId: result.runId, metrics: result.metrics }
  },
}

/** train() picks the experiment by name; the pipeline's experiment is known by id, so name it. */
async function trainInExperiment(keel: Keel, spec: TrainingSpecInput, experimentId: string, context: StepContext): ReturnType<typeof train> {
  const experiment = await keel.tracking.getExperiment(experimentId)
  return train({ ...spec, experiment: experiment.name }, { keel, signal: context.signal })
}

/** Holdout metrics of a keel-trained model on a labelled dataset (the target is the model's own). */
export async function evaluateModel(keel: Keel, modelUri: string, dataset: DatasetRef): Promise<Record<string, number>> {
  const model = await loadTrainedModel(keel, modelUri)
  const schema: Record<string, SchemaType> = {}
  for (const input of model.pipeline.inputs) if (input.kind === 'categorical') schema[input.name] = 'category'
  const frame = await readDataset(localPath(dataset.uri), { schema })
  return evaluatePredictor(new PipelinePredictor(model.pipeline, model.predictor).asPredictor(), frame, model.manifest.target)
}

/** `keel.evaluate`: a model's metrics on a labelled dataset, logged on the step's run. */
export const evaluateStep: StepKind = {
  name: 'keel.evaluate',
  version: '1',
  inputs: { model: 'model', dataset: 'dataset' },
  outputs: { metrics: 'metrics' },
  async run(context) {
    const model = modelInput(context, 'model')
    const dataset = datasetInput(context, 'dataset')
    const metrics = await evaluateModel(context.keel, model.uri, dataset)
    await logToStepRun(context, { metrics })
    return { metrics }
  },
}

/**
 * `keel.gate`: MLflow-style thresholds (`{ roc_auc: { threshold?, minAbsoluteChange?, minRelativeChange?,
 * greaterIsBetter? } }`) on the candidate's metrics, against the baseline model (`models:/fraud@champion`)
 * evaluated on the same dataset — so "better" means better on this data, not on each model's own holdout.
 * Without a baseline yet (first training), only the absolute thresholds apply. Never fails on a failed gate:
 * its `gate` output says {passed, reasons} and `when` on later steps acts on it.
 */
export const gateStep: StepKind = {
  name: 'keel.gate',
  version: '1',
  inputs: { metrics: 'metrics', dataset: 'dataset', baseline: 'string', thresholds: 'json' },
  outputs: { gate: 'gate' },
  async run(context) {
    const candidate = metricsRecord(context.inputs['metrics'])
    const dataset = datasetInput(context, 'dataset')
    const baselineUri = stringInput(context, 'baseline')
    const thresholds = parseThresholds(context)
    let baselineVersion: string | undefined
    let baseline: Record<string, number> | undefined
    baselineVersion = await resolveBaseline(context.keel, baselineUri)
    checkAborted(context)
    if (baselineVersion !== undefined) baseline = await evaluateModel(context.keel, baselineUri, dataset)
    const applied: Record<string, MetricThreshold> = {}
    const notes: string[] = []
    for (const [metric, t] of Object.entries(thresholds)) {
      const changeRule = t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined
      if (baseline === undefined && changeRule) notes.push(`${metric}: no baseline at ${baselineUri} yet, so the change rule is skipped.`)
      if (baseline === undefined && t.threshold === undefined) continue
      const kept: MetricThreshold = { greaterIsBetter: t.greaterIsBetter }
      if (t.threshold !== undefined) kept.threshold = t.threshold
      if (baseline !== undefined && t.minAbsoluteChange !== undefined) kept.minAbsoluteChange = t.minAbsoluteChange
      if (baseline !== undefined && t.minRelativeChange !== undefined) kept.minRelativeChange = t.minRelativeChange
      applied[metric] = kept
    }
    const result = runGate(candidate, applied, baseline)
    const reasons = [...result.results.flatMap((r) => r.reasons), ...notes]
    const gate: Record<string, StepValue> = {
      passed: result.passed,
      reasons,
      baseline: baselineUri,
      baselineVersion: baselineVersion ?? null,
      candidateMetrics: candidate,
      baselineMetrics: baseline ?? null,
    }
    await logToStepRun(context, {
      metrics: Object.fromEntries(Object.entries(baseline ?? {}).map(([k, v]) => [`baseline_${k}`, v])),
      tags: { 'keel.gate.passed': String(result.passed), ...(baselineVersion === undefined ? {} : { 'keel.gate.baseline_version': baselineVersion }) },
    })
    context.log.info({ step: context.step, passed: result.passed, reasons }, result.passed ? 'gate passed' : 'gate failed')
    return { gate }
  },
}

/** The baseline's version, or undefined when the model or its alias does not exist yet (the first training). */
async function resolveBaseline(keel: Keel, uri: string): Promise<string | undefined> {
  try {
    return (await keel.resolve(uri)).version
  } catch (error) {
    if (isKeelError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined
    // An unknown alias is INVALID_PARAMETER_VALUE (as MLflow); tell it from a malformed URI by asking the model.
    const alias = /^models:\/([^@/]+)@(.+)$/.exec(uri)
    if (isKeelError(error) && error.code === 'INVALID_PARAMETER_VALUE' && alias !== null) {
      const model = await keel.registry.getRegisteredModel(alias[1]!)
      if (!model.aliases.some((a) => a.alias === alias[2])) return undefined
    }
    throw error
  }
}

function parseThresholds(context: StepContext): Record<string, MetricThreshold & { minAbsoluteChange?: number; minRelativeChange?: number }> {
  const raw = objectInput(context, 'thresholds')
  const out: Record<string, MetricThreshold> = {}
  for (const [metric, value] of Object.entries(raw)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(context, 'thresholds', `'${metric}' must be an object like { minAbsoluteChange: 0.001 }.`)
    const t: MetricThreshold = { greaterIsBetter: typeof value['greaterIsBetter'] === 'boolean' ? value['greaterIsBetter'] : greaterIsBetter(metric) }
    for (const field of ['threshold', 'minAbsoluteChange', 'minRelativeChange'] as const) {
      const v = value[field]
      if (v === undefined) continue
      if (typeof v !== 'number') throw badInput(context, 'thresholds', `'${metric}.${field}' must be a number.`)
      t[field] = v
    }
    if (t.threshold === undefined && t.minAbsoluteChange === undefined && t.minRelativeChange === undefined) {
      throw badInput(context, 'thresholds', `'${metric}' sets no check; give threshold, minAbsoluteChange or minRelativeChange.`)
    }
    out[metric] = t
  }
  if (Object.keys(out).length === 0) throw badInput(context, 'thresholds', 'names no metric; e.g. { roc_auc: { minAbsoluteChange: 0.001 } }.')
  return out
}
