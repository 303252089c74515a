import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { Keel } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import type { Frame, Row } from '../core/frame.js'
import type { SchemaType } from '../data/read-options.js'
import type { ImportedModelManifest } from '../models/formats/index.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { GbdtPredictor } from '../models/gbdt/gbdt-predictor.js'
import { GbdtFastScorer } from './gbdt-fast.js'
import type { Task } from '../models/predictor.js'
import { loadModelFiles, MANIFEST_FILE, readJsonArtifact } from '../training/trained-model.js'
import { XgboostFastMargins } from './xgboost-fast.js'
import { xgboostScores } from './xgboost-scores.js'
import type { XgboostScorerPool } from './xgboost-pool.js'

/** One batch's predictions: `prediction` per row, and for classifiers `rows × classes` probabilities. */
export interface Scores {
  /** Regression: values. Classification: class indices into `classes`. Other models: their first output. */
  readonly prediction: Float64Array
  readonly proba?: Float64Array
  /** Models with a multi-column raw output (ONNX): values per row. */
  readonly width?: number
}

/**
 * Any model `keel predict` can score: trained by keel, or imported (XGBoost, ONNX). Scoring is async because
 * ONNX runs in onnxruntime and XGBoost may run in worker threads.
 */
export interface ScoringModel {
  readonly kind: string
  readonly task: Task | undefined
  readonly classes: readonly string[] | undefined
  /** Raw input columns the model reads. */
  readonly inputs: readonly string[]
  /** Read types the model needs for some inputs (categorical columns), so a reader does not guess them. */
  readonly schema: Readonly<Record<string, SchemaType>>
  score(frame: Frame): Promise<Scores>
  /** One JSON row (classification: class index); undefined when the model cannot score rows synchronously. */
  readonly predictRow?: (row: Row) => number
  /** Scores with `threads` worker threads from now on, when the model supports it; returns the count used. */
  useThreads(threads: number): Promise<number>
  close(): Promise<void>
}

/** Loads any registered model by URI (`models:/name@alias`, `models:/name/3`, `runs:/…`, `mlflow-artifacts:/…`). */
export async function loadScoringModel(keel: Keel, modelUri: string): Promise<ScoringModel> {
  const source = await resolveSource(keel, modelUri)
  const manifest = (await readJsonArtifact(keel.artifacts, source, MANIFEST_FILE)) as { format?: unknown } | null
  if (manifest !== null && typeof manifest === 'object' && manifest.format === 'keel-imported-model') {
    return loadImported(keel.artifacts, source, manifest as ImportedModelManifest)
  }
  return trainedScoringModel(await loadModelFiles(keel.artifacts, source))
}

async function resolveSource(keel: Keel, uri: string): Promise<string> {
  if (uri.startsWith('models:/')) return (await keel.resolve(uri)).source
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri)
  if (runs !== null) {
    const run = await keel.tracking.getRun(runs[1]!)
    const path = (runs[2] ?? '').replace(/^\/+|\/+$/g, '')
    return path === '' ? run.info.artifactUri : `${run.info.artifactUri}/${path}`
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri
  throw invalidParameter(`--model '${uri}' is not a model URI: use models:/name@alias, models:/name/<version>, runs:/<run id>/model or an mlflow-artifacts:/ URI.`)
}

function trainedScoringModel(model: Awaited<ReturnType<typeof loadModelFiles>>): ScoringModel {
  const { pipeline, predictor } = model
  const schema: Record<string, SchemaType> = {}
  for (const input of pipeline.inputs) if (input.kind === 'categorical') schema[input.name] = 'category'
  const classifier = predictor.task === 'classification'
  // gbdt through the compiled complete-tree layout when its trees fit (identical predictions, faster).
  const fast = predictor instanceof GbdtPredictor ? GbdtFastScorer.compile(predictor) : undefined
  return {
    kind: predictor.kind,
    task: predictor.task,
    classes: predictor.classes,
    inputs: pipeline.inputs.map((c) => c.name),
    schema,
    score(frame) {
      // Transform once, then both outputs from the same features.
      const features = pipeline.transform(frame)
      if (fast !== undefined) return Promise.resolve(fast.score(features))
      const prediction = predictor.predict(features)
      return Promise.resolve(classifier ? { prediction, proba: predictor.predictProba(features) } : { prediction })
    },
    predictRow: (row) => model.predict(row),
    useThreads: () => Promise.resolve(1),
    close: () => Promise.resolve(),
  }
}

async function readArtifactBytes(artifacts: ArtifactStore, source: string, file: string): Promise<Buffer> {
  const path = `${artifactPathFromUri(source).replace(/\/+$/, '')}/${file}`
  const info = await artifacts.stat(path)
  if (info === undefined || info.isDir) throw invalidParameter(`The imported model at '${source}' has no '${file}'; import it again.`)
  const { body } = await artifacts.get(path)
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks)
}

async function loadImported(artifacts: ArtifactStore, source: string, manifest: ImportedModelManifest): Promise<ScoringModel> {
  if (manifest.formatVersion !== 1 || typeof manifest.file !== 'string' || !Array.isArray(manifest.features)) {
    throw invalidParameter(`'${MANIFEST_FILE}' at '${source}' is not a keel imported-model manifest (version 1); import the model again.`)
  }
  const bytes = await readArtifactBytes(artifacts, source, manifest.file)
  if (manifest.modelFormat === 'xgboost') return xgboostScoringModel(bytes.toString('utf8'), manifest)
  if (manifest.modelFormat === 'onnx') {
    // Loaded on demand: onnxruntime-node is a native module only ONNX models need.
    const { OnnxModel } = await import('../models/formats/onnx.js')
    const onnx = await OnnxModel.fromBytes(bytes, source)
    const features = [...manifest.features]
    return {
      kind: 'onnx',
      task: manifest.task,
      classes: manifest.classes,
      inputs: features,
      schema: numericSchema(features),
      async score(frame) {
        const out = await onnx.predictFrame(frame, { columns: features })
        const width = frame.rows === 0 ? 1 : out.length / frame.rows
        if (width === 1) return { prediction: out }
        return { prediction: out, width }
      },
      useThreads: () => Promise.resolve(1),
      close: () => onnx.close(),
    }
  }
  throw invalidParameter(`The imported model at '${source}' has format '${String(manifest.modelFormat)}', which keel cannot score; use xgboost or onnx.`)
}

function xgboostScoringModel(json: string, manifest: ImportedModelManifest): ScoringModel {
  const options = manifest.classes === undefined ? {} : { classes: manifest.classes }
  const predictor = XgboostPredictor.fromJson(json, options)
  const fast = XgboostFastMargins.compile(predictor)
  let pool: XgboostScorerPool | undefined
  return {
    kind: predictor.kind,
    task: predictor.task,
    classes: predictor.classes,
    inputs: predictor.features,
    schema: numericSchema(predictor.features),
    async score(frame) {
      const margins = pool !== undefined ? await pool.margins(frame) : fast !== undefined ? fast.margins(frame) : predictor.predictMargin(frame)
      return xgboostScores(predictor, margins, frame.rows)
    },
    predictRow: fast === undefined ? (row) => predictor.predictRow(row) : (row) => labelOf(predictor, fast.marginsRow(row)),
    async useThreads(threads) {
      await pool?.close()
      pool = undefined
      if (threads <= 1) return 1
      const { XgboostScorerPool } = await import('./xgboost-pool.js')
      pool = await XgboostScorerPool.start(json, options, threads)
      return threads
    },
    async close() {
      await pool?.close()
      pool = undefined
    },
  }
}

/** `XgboostPredictor.predictRow`'s decision from one row's margins. */
function labelOf(predictor: XgboostPredictor, m: Float64Array): number {
  const { objective, groups } = predictor.model
  if (objective === 'reg:squarederror') return m[0]!
  if (objective === 'binary:logistic') return m[0]! > 0 ? 1 : 0
  let best = 0
  for (let c = 1; c < groups; c++) if (m[c]! > m[best]!) best = c
  return best
}

/** Every input read as a number, so a stray text value is an error naming its row rather than a category. */
function numericSchema(features: readonly string[]): Record<string, SchemaType> {
  return Object.fromEntries(features.map((f) => [f, 'float' as const]))
}
