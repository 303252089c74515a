import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { invalidParameter } from '../core/errors.js'
import { Frame, type Row } from '../core/frame.js'
import type { DataSchema } from '../data/validation.js'
import { loadPipeline, type FeatureRecord, type FittedPipeline } from '../features/pipeline.js'
import { loadModel } from '../models/algorithms.js'
import type { Predictor, SavedModel, Task } from '../models/predictor.js'
import type { ColumnSpec } from '../registry/types.js'

export const MODEL_DIR = 'model'
export const MANIFEST_FILE = 'keel-model.json'

/** `model/keel-model.json`: what a server needs to know before it loads anything else. */
export interface ModelManifest {
  format: 'keel-trained-model'
  formatVersion: 1
  algorithm: string
  task: Task
  target: string
  /** Raw input columns (before the feature pipeline) with MLflow ColSpec types. */
  inputs: ColumnSpec[]
  outputs: ColumnSpec[]
  /** The first training row, as JSON (missing values as null). */
  inputExample: Record<string, number | string | null>
  classes?: string[]
  files: { model: string; pipeline: string; dataSchema: string }
}

/**
 * The pipeline and the predictor as one model over raw input columns: frames and rows go through the
 * feature pipeline, then the predictor. Cross-validation and search score this, so they see the same
 * leakage-safe features as the final model.
 */
export class PipelinePredictor {
  private readonly features: Float64Array
  /** Reused for single rows so scoring one row allocates nothing beyond the predictor's own output. */
  private readonly featureRow: FeatureRecord

  constructor(
    readonly pipeline: FittedPipeline,
    readonly predictor: Predictor,
  ) {
    this.features = new Float64Array(pipeline.outputFeatures.length)
    this.featureRow = Object.fromEntries(pipeline.outputFeatures.map((f) => [f, 0]))
  }

  get task(): Task {
    return this.predictor.task
  }

  get classes(): readonly string[] | undefined {
    return this.predictor.classes
  }

  predictFrame(frame: Frame): Float64Array {
    return this.predictor.predict(this.pipeline.transform(frame))
  }

  predictProbaFrame(frame: Frame): Float64Array {
    this.requireClassifier()
    return this.predictor.predictProba(this.pipeline.transform(frame))
  }

  predictRow(row: Row): number {
    return this.predictor.predictRow(this.featuresOf(row))
  }

  predictProbaRow(row: Row, out?: Float64Array): Float64Array {
    this.requireClassifier()
    return this.predictor.predictProbaRow(this.featuresOf(row), out)
  }

  /** As a `Predictor` over raw frames (for crossValidate / evaluatePredictor, which read `task`/`classes`). */
  asPredictor(): Predictor {
    const self = this
    const inner = this.predictor
    const wrapped: Predictor = {
      kind: inner.kind,
      task: inner.task,
      features: inner.features,
      target: inner.target,
      predict: (frame) => self.predictFrame(frame),
      predictProba: (frame) => self.predictProbaFrame(frame),
      predictRow: (row) => self.predictRow(row),
      predictProbaRow: (row, out) => self.predictProbaRow(row, out),
      save: () => inner.save(),
    }
    if (inner.classes !== undefined) (wrapped as { classes?: readonly string[] }).classes = inner.classes
    return wrapped
  }

  private featuresOf(row: Row): Row {
    // Categorical features passed through (gbdt) reach the predictor as their strings.
    if (this.pipeline.hasCategoricalOutputs) return this.pipeline.transformRecord(row, this.featureRow)
    const values = this.pipeline.transformRow(row, this.features)
    const names = this.pipeline.outputFeatures
    for (let j = 0; j < names.length; j++) this.featureRow[names[j]!] = values[j]!
    return this.featureRow
  }

  private requireClassifier(): void {
    if (this.predictor.task !== 'classification') {
      throw invalidParameter(`predictProba needs a classifier; this ${this.predictor.kind} model does regression. Use predict.`)
    }
  }
}

/** A model loaded from its artifacts: predictions over raw frames, one JSON row, or a list of rows. */
export interface TrainedModel {
  readonly manifest: ModelManifest
  readonly pipeline: FittedPipeline
  readonly predictor: Predictor
  readonly dataSchema: DataSchema
  /** Regression: values. Classification: indices into `manifest.classes`. */
  predict(input: Frame): Float64Array
  predict(input: Row): number
  predict(input: readonly Row[]): Float64Array
  /** Classification: `rows × classes` row-major (one row: `classes` probabilities). */
  predictProba(input: Frame | Row | readonly Row[]): Float64Array
}

export function trainedModel(manifest: ModelManifest, composite: PipelinePredictor, dataSchema: DataSchema): TrainedModel {
  const k = manifest.classes?.length ?? 0
  function predict(input: Frame): Float64Array
  function predict(input: Row): number
  function predict(input: readonly Row[]): Float64Array
  function predict(input: Frame | Row | readonly Row[]): Float64Array | number {
    if (input instanceof Frame) return composite.predictFrame(input)
    if (Array.isArray(input)) {
      const rows = input as readonly Row[]
      const out = new Float64Array(rows.length)
      for (let i = 0; i < rows.length; i++) out[i] = composite.predictRow(rows[i]!)
      return out
    }
    return composite.predictRow(input as Row)
  }
  return {
    manifest,
    pipeline: composite.pipeline,
    predictor: composite.predictor,
    dataSchema,
    predict,
    predictProba(input) {
      if (input instanceof Frame) return composite.predictProbaFrame(input)
      if (Array.isArray(input)) {
        const rows = input as readonly Row[]
        const out = new Float64Array(rows.length * k)
        for (let i = 0; i < rows.length; i++) composite.predictProbaRow(rows[i]!, out.subarray(i * k, (i + 1) * k))
        return out
      }
      return composite.predictProbaRow(input as Row)
    },
  }
}

/** Reads one of the run's model files (JSON) from the artifact store. */
export async function readJsonArtifact(artifacts: ArtifactStore, sourceUri: string, file: string): Promise<unknown> {
  let root: string
  try {
    root = artifactPathFromUri(sourceUri)
  } catch (error) {
    throw invalidParameter(`The model source '${sourceUri}' is not in keel's artifact store, so keel cannot load it.`, { cause: error })
  }
  const path = `${root.replace(/\/+$/, '')}/${file}`
  const info = await artifacts.stat(path)
  if (info === undefined || info.isDir) {
    throw invalidParameter(`The model at '${sourceUri}' has no '${file}'; it was not logged by keel's train(). Retrain it, or load its files yourself.`)
  }
  const { body } = await artifacts.get(path)
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    throw invalidParameter(`'${file}' of the model at '${sourceUri}' is not valid JSON: ${(error as Error).message}.`)
  }
}

export function checkManifest(doc: unknown, source: string): ModelManifest {
  const m = doc as Partial<ModelManifest> | null
  if (m === null || typeof m !== 'object' || m.format !== 'keel-trained-model' || m.formatVersion !== 1) {
    throw invalidParameter(`'${MANIFEST_FILE}' at '${source}' is not a keel model manifest (format 'keel-trained-model' version 1).`)
  }
  if (typeof m.files !== 'object' || m.files === null) throw invalidParameter(`'${MANIFEST_FILE}' at '${source}' lists no files; the model is corrupt.`)
  return m as ModelManifest
}

export async function loadModelFiles(artifacts: ArtifactStore, source: string): Promise<TrainedModel> {
  const manifest = checkManifest(await readJsonArtifact(artifacts, source, MANIFEST_FILE), source)
  const [saved, pipeline, schema] = await Promise.all([
    readJsonArtifact(artifacts, source, manifest.files.model),
    readJsonArtifact(artifacts, source, manifest.files.pipeline),
    readJsonArtifact(artifacts, source, manifest.files.dataSchema),
  ])
  const composite = new PipelinePredictor(loadPipeline(pipeline), loadModel(saved as SavedModel))
  return trainedModel(manifest, composite, schema as DataSchema)
}
