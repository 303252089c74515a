import { basename } from 'node:path'
import type { ActiveRun } from '../client/active-run.js'
import type { Keel } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { datasetDigest, datasetProfileSummary } from '../data/dataset-digest.js'
import { readDataset, type DatasetReadOptions } from '../data/read-dataset.js'
import { randomSplit, stratifiedSplit } from '../data/splits.js'
import { assertValid, inferSchema, parseDataSchema, validateFrame, type DataSchema } from '../data/validation.js'
import { crossValidate, evaluatePredictor, pick } from '../evaluation/cross-validate.js'
import type { GateResult } from '../evaluation/gate.js'
import type { FittedPipeline } from '../features/pipeline.js'
import { Pipeline } from '../features/pipeline.js'
import type { TransformSpec } from '../features/fitted-transform.js'
import { algorithm as algorithmNamed } from '../models/algorithms.js'
import type { Predictor, Task } from '../models/predictor.js'
import type { ModelVersion } from '../registry/types.js'
import { readFile } from 'node:fs/promises'
import { inferTask, inputSignature, outputSignature, firstRow } from './signature.js'
import { parseTrainingSpec, type TrainingSpec, type TrainingSpecInput } from './spec.js'
import { MANIFEST_FILE, MODEL_DIR, PipelinePredictor, type ModelManifest } from './trained-model.js'
import { registerFromRun } from './register.js'
import { MAX_REFERENCE_SAMPLE_ROWS, referenceOutputs, sampleRows, saveReference } from '../monitoring/reference.js'
import { runSearch, type SearchSummary } from './search.js'
import {
  BACKGROUND_FILE,
  backgroundToJson,
  computeGlobalImportance,
  EXPLANATIONS_DIR,
  IMPORTANCE_CHART_FILE,
  IMPORTANCE_FILE,
  importanceSvg,
  TOP_FEATURES_TAG,
  topFeatures,
  type ImportanceOptions,
} from './explanations.js'

export type TrainingStage = 'read' | 'validate' | 'search' | 'fit' | 'evaluate' | 'log' | 'register'

/** One progress event; `done`/`total` when the stage can count (bytes read, iterations, trees). */
export interface TrainingProgress {
  stage: TrainingStage
  message: string
  done?: number
  total?: number
}

export interface TrainOptions {
  keel: Keel
  progress?: (event: TrainingProgress) => void
  signal?: AbortSignal
  /** Worker threads for algorithms that use them (default: all cores). */
  threads?: number
}

export interface TrainResult {
  runId: string
  /** The pipeline and the model together: predictions over raw input columns. */
  predictor: PipelinePredictor
  pipeline: FittedPipeline
  /** Holdout metrics (as logged, without the `test_` prefix). */
  metrics: Record<string, number>
  /** Cross-validation means and standard deviations, when asked for. */
  cv?: { mean: Record<string, number>; std: Record<string, number> }
  search?: SearchSummary
  gate?: GateResult & { baselineVersion?: string }
  version?: ModelVersion
  /** Whether the register alias now points at `version`. */
  aliasMoved?: boolean
  task: Task
}

/**
 * Trains one model from a spec and logs everything into one run: params, holdout (and CV) metrics, the dataset
 * with its digest and profile, and `model/` (model.json, pipeline.json, data-schema.json, keel-model.json, and
 * `explanations/`: global importances over the holdout, unless `explain.enabled` is false).
 * With `register`, registers a version with lineage and moves the alias unless the gate fails.
 */
export async function train(specInput: TrainingSpec | TrainingSpecInput, options: TrainOptions): Promise<TrainResult> {
  const spec = parseTrainingSpec(specInput)
  const { keel, signal } = options
  const progress = options.progress ?? (() => {})
  const algorithm = algorithmNamed(spec.algorithm.name)
  const baseParams = spec.algorithm.params
  algorithm.resolveParams(baseParams) // fail on a bad param before reading any data

  progress({ stage: 'read', message: `reading ${spec.data.path}` })
  const readOptions: DatasetReadOptions = {
    ...(withoutUndefined(spec.data.format) as DatasetReadOptions),
    schema: spec.data.schema,
    onProgress: (p) => progress({ stage: 'read', message: `${p.rows} rows`, done: p.bytes, ...(p.totalBytes === undefined ? {} : { total: p.totalBytes }) }),
  }
  const raw = await readDataset(spec.data.path, readOptions)
  const features = featureColumns(raw, spec)
  const frame = raw.select([...features, spec.target])
  const task = spec.task ?? inferTask(frame, spec.target)
  checkTarget(frame, spec.target, task)

  progress({ stage: 'validate', message: 'checking the data schema' })
  if (spec.data.validate !== undefined) {
    const declared = parseDataSchema(await readFile(spec.data.validate, 'utf8'))
    assertValid(validateFrame(frame, declared))
  }
  const dataSchema: DataSchema = inferSchema(frame)

  const seed = spec.evaluation.seed ?? spec.seed
  const stratified = spec.evaluation.stratified ?? task === 'classification'
  const split = stratified
    ? stratifiedSplit(frame, spec.target, { testFraction: spec.evaluation.testFraction, seed })
    : randomSplit(frame, { testFraction: spec.evaluation.testFraction, seed })

  const fitComposite = async (train: Frame, params: Record<string, unknown>, fitSeed: number, report: boolean): Promise<PipelinePredictor> => {
    // Algorithms that split strings natively (gbdt) get string columns no step encodes as they are.
    const pipelineOptions = { seed: fitSeed, passCategorical: algorithm.acceptsCategorical === true }
    const fitted = new Pipeline(spec.features.steps as unknown as TransformSpec[], pipelineOptions).fitTransform(train, spec.target)
    const x = fitted.frame.withColumn(train.column(spec.target))
    const context: Parameters<typeof algorithm.fit>[4] = { seed: fitSeed }
    if (signal !== undefined) context.signal = signal
    if (options.threads !== undefined) context.threads = options.threads
    if (report) context.progress = (e) => progress({ stage: 'fit', message: e.message ?? `${algorithm.name}`, done: e.done, total: e.total })
    const predictor = await algorithm.fit(x, spec.target, task, algorithm.resolveParams(params), context)
    return new PipelinePredictor(fitted.pipeline, predictor)
  }

  const run = await keel.startRun({
    experiment: spec.experiment,
    ...(spec.runName === undefined ? {} : { runName: spec.runName }),
    tags: { ...spec.tags, 'keel.algorithm': algorithm.name, 'keel.task': task },
  })
  try {
    let params: Record<string, unknown> = { ...baseParams }
    let search: SearchSummary | undefined
    if (spec.search !== undefined) {
      progress({ stage: 'search', message: `${spec.search.method} search on ${spec.search.metric}` })
      search = await runSearch(spec.search, {
        keel,
        run,
        frame: split.train,
        target: spec.target,
        seed,
        stratified,
        ...(signal === undefined ? {} : { signal }),
        fit: async (train, point, fitSeed) => (await fitComposite(train, { ...baseParams, ...point }, fitSeed, false)).asPredictor(),
      })
      params = { ...baseParams, ...search.bestParams }
    }

    progress({ stage: 'fit', message: `fitting ${algorithm.name} on ${split.train.rows} rows` })
    const composite = await fitComposite(split.train, params, spec.seed, true)

    progress({ stage: 'evaluate', message: `scoring ${split.test.rows} holdout rows` })
    const metrics = pick(evaluatePredictor(composite.asPredictor(), split.test, spec.target), spec.evaluation.metrics)
    let cv: TrainResult['cv']
    if (spec.evaluation.cv !== undefined) {
      const c = spec.evaluation.cv
      progress({ stage: 'evaluate', message: `${c.folds}-fold cross-validation` })
      const result = await crossValidate(frame, spec.target, async (train, _t, ctx) => (await fitComposite(train, params, ctx.seed, false)).asPredictor(), {
        folds: c.folds,
        stratified: c.stratified ?? stratified,
        shuffle: c.shuffle,
        seed,
        ...(spec.evaluation.metrics === undefined ? {} : { metrics: spec.evaluation.metrics }),
        ...(signal === undefined ? {} : { signal }),
      })
      cv = { mean: result.mean, std: result.std }
    }

    progress({ stage: 'log', message: `logging run ${run.id}` })
    const resolved = algorithm.resolveParams(params) as Record<string, unknown>
    await run.logParams({
      algorithm: algorithm.name,
      target: spec.target,
      task,
      features: features.length,
      test_fraction: spec.evaluation.testFraction,
      stratified,
      seed: spec.seed,
      train_rows: split.train.rows,
      test_rows: split.test.rows,
      pipeline: spec.features.steps.map((s) => s.type).join(',') || 'none',
      ...Object.fromEntries(Object.entries(resolved).map(([k, v]) => [`param.${k}`, paramText(v)])),
    })
    run.logMetrics(prefixed('test_', metrics))
    if (cv !== undefined) {
      run.logMetrics(prefixed('cv_', cv.mean, '_mean'))
      run.logMetrics(prefixed('cv_', cv.std, '_std'))
    }
    const digest = datasetDigest(frame)
    await run.logDataset(
      {
        name: spec.data.name ?? basename(spec.data.path),
        digest,
        source: spec.data.path,
        sourceType: 'local',
        schema: JSON.stringify(dataSchema),
        profile: JSON.stringify(datasetProfileSummary(frame)),
      },
      'training',
    )
    const manifest = await logModel(run, composite, { spec, task, frame, features, dataSchema })
    // Monitoring compares live traffic with this: the holdout (training's distribution, unseen by the model, so its
    // scores there are honest) with the model's outputs and the true labels, which CBPE calibrates on.
    const referenceRows = sampleRows(split.test, MAX_REFERENCE_SAMPLE_ROWS, spec.seed)
    const referenceInputs = referenceRows.select(features)
    await saveReference(keel, run.id, referenceInputs, referenceOutputs(composite, referenceInputs), {
      seed: spec.seed,
      labels: referenceRows.column(spec.target),
    })
    let topFeatures: string | undefined
    if (spec.explain.enabled) {
      progress({ stage: 'evaluate', message: `explaining: global importances over up to ${Math.min(spec.explain.maxRows, split.test.rows)} holdout rows` })
      topFeatures = await logExplanations(run, composite, split.test, split.train, { target: spec.target, task, seed: spec.seed, maxRows: spec.explain.maxRows })
    }

    let result: TrainResult = { runId: run.id, predictor: composite, pipeline: composite.pipeline, metrics, task }
    if (cv !== undefined) result.cv = cv
    if (search !== undefined) result.search = search
    if (spec.register !== undefined) {
      progress({ stage: 'register', message: `registering ${spec.register.name}` })
      const registered = await registerFromRun(keel, run.id, {
        name: spec.register.name,
        ...(spec.register.alias === undefined ? {} : { alias: spec.register.alias }),
        ...(spec.register.description === undefined ? {} : { description: spec.register.description }),
        tags: { ...spec.register.tags, algorithm: algorithm.name },
        manifest,
        ...(topFeatures === undefined ? {} : { topFeatures }),
        datasetDigest: digest,
        metrics,
        ...(spec.gate === undefined ? {} : { gate: spec.gate }),
      })
      result = { ...result, version: registered.version, aliasMoved: registered.aliasMoved }
      if (registered.gate !== undefined) {
        result.gate = registered.gate
        await run.setTags({ 'keel.gate.passed': String(registered.gate.passed) })
      }
    }
    await run.end('FINISHED')
    return result
  } catch (error) {
    await run.end('FAILED').catch(() => {})
    throw error
  }
}

async function logModel(
  run: ActiveRun,
  composite: PipelinePredictor,
  info: { spec: TrainingSpec; task: Task; frame: Frame; features: readonly string[]; dataSchema: DataSchema },
): Promise<ModelManifest> {
  const predictor: Predictor = composite.predictor
  const manifest: ModelManifest = {
    format: 'keel-trained-model',
    formatVersion: 1,
    algorithm: predictor.kind,
    task: info.task,
    target: info.spec.target,
    inputs: inputSignature(info.frame, info.features),
    outputs: outputSignature(info.task, predictor.classes),
    inputExample: firstRow(info.frame, info.features),
    files: { model: 'model.json', pipeline: 'pipeline.json', dataSchema: 'data-schema.json' },
  }
  if (predictor.classes !== undefined) manifest.classes = [...predictor.classes]
  await run.logArtifact({ name: 'model.json', content: JSON.stringify(predictor.save()) }, MODEL_DIR)
  await run.logArtifact({ name: 'pipeline.json', content: JSON.stringify(composite.pipeline.save()) }, MODEL_DIR)
  await run.logArtifact({ name: 'data-schema.json', content: JSON.stringify(info.dataSchema) }, MODEL_DIR)
  await run.logArtifact({ name: MANIFEST_FILE, content: JSON.stringify(manifest, null, 2) }, MODEL_DIR)
  return manifest
}

/**
 * Global importances of the fitted model over the holdout, logged under `model/explanations/` (JSON and an SVG
 * chart; forests also keep the background rows TreeSHAP needs later), plus the run tag of the top five columns.
 */
async function logExplanations(run: ActiveRun, composite: PipelinePredictor, holdout: Frame, train: Frame, options: ImportanceOptions): Promise<string> {
  const { importance, background } = await computeGlobalImportance(composite, holdout, { ...options, background: train })
  const dir = `${MODEL_DIR}/${EXPLANATIONS_DIR}`
  await run.logArtifact({ name: IMPORTANCE_FILE, content: `${JSON.stringify(importance, null, 2)}\n` }, dir)
  await run.logArtifact({ name: IMPORTANCE_CHART_FILE, content: importanceSvg(importance) }, dir)
  if (background !== undefined) await run.logArtifact({ name: BACKGROUND_FILE, content: JSON.stringify(backgroundToJson(background)) }, dir)
  const top = topFeatures(importance)
  await run.setTags({ [TOP_FEATURES_TAG]: top })
  return top
}

function featureColumns(frame: Frame, spec: TrainingSpec): string[] {
  if (!frame.has(spec.target)) {
    throw invalidParameter(`target '${spec.target}' is not a column of ${spec.data.path}. Columns: ${frame.names.slice(0, 20).join(', ')}; fix 'target' in the spec.`)
  }
  for (const [field, names] of [['features.include', spec.features.include ?? []], ['features.exclude', spec.features.exclude]] as const) {
    for (const name of names) {
      if (!frame.has(name)) throw invalidParameter(`${field} names '${name}', which is not a column of ${spec.data.path}. Columns: ${frame.names.slice(0, 20).join(', ')}.`)
    }
  }
  const excluded = new Set([...spec.features.exclude, spec.target])
  const chosen = (spec.features.include ?? frame.names).filter((n) => !excluded.has(n))
  if (chosen.length === 0) throw invalidParameter(`No feature columns are left after features.include/exclude; keep at least one column besides the target.`)
  return chosen
}

function checkTarget(frame: Frame, target: string, task: Task): void {
  const column = frame.column(target)
  if (task === 'regression' && column.kind !== 'numeric') {
    throw invalidParameter(`task is 'regression' but target '${target}' is categorical; use task: classification or a numeric target.`)
  }
  let bad = -1
  if (column.kind === 'numeric') {
    for (let i = 0; i < column.values.length && bad < 0; i++) if (!Number.isFinite(column.values[i]!)) bad = i
  } else {
    for (let i = 0; i < column.codes.length && bad < 0; i++) if (column.codes[i]! < 0) bad = i
  }
  if (bad >= 0) {
    throw invalidParameter(`target '${target}' is missing, NaN or infinite at row ${bad + 1}; drop or fix those rows before training.`)
  }
}

/** zod gives `{ x?: T | undefined }`; keel's option types are exact, so absent keys must be absent. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

function prefixed(prefix: string, metrics: Record<string, number>, suffix = ''): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}${suffix}`, v]))
}

function paramText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'null'
}

