import type { Frame, Row } from '../core/frame.js'

export type Task = 'classification' | 'regression'

/** Reports long work; `done` of `total` units (trees, iterations, rows). */
export type Progress = (event: { done: number; total: number; message?: string }) => void

export interface FitContext {
  progress?: Progress
  /** Aborting stops training with a KeelError; nothing half-trained is returned. */
  signal?: AbortSignal
  /** Seed for everything random in training (bootstraps, feature sampling, initialisation). */
  seed?: number
  /** Worker threads to use where the work is parallel (default: all cores). */
  threads?: number
}

/** A trained model's saved form: JSON-serialisable, with `kind` naming the algorithm that loads it. */
export interface SavedModel {
  format: 'keel-model'
  formatVersion: 1
  kind: string
  task: Task
  features: string[]
  target: string
  /** Class labels for classifiers, in the order of `predictProba`'s columns. */
  classes?: string[]
  state: unknown
}

/**
 * A trained model over numeric features (categorical inputs are encoded by the feature pipeline first, except
 * for algorithms with `acceptsCategorical`, whose predictors read category strings too).
 * Frame and single-row predictions are identical by construction: both run the same scoring code.
 */
export interface Predictor {
  readonly kind: string
  readonly task: Task
  readonly features: readonly string[]
  readonly target: string
  readonly classes?: readonly string[]
  /** Regression: predicted values. Classification: the index into `classes` of the most probable class. */
  predict(frame: Frame): Float64Array
  /** Classification only: `rows × classes.length`, row-major. */
  predictProba(frame: Frame): Float64Array
  predictRow(row: Row): number
  /** Classification only; writes into `out` when given (no allocation on the serving path). */
  predictProbaRow(row: Row, out?: Float64Array): Float64Array
  save(): SavedModel
}

/** One learning algorithm; registered by name so specs and saved models can name it. */
export interface Algorithm<Params extends object = Record<string, unknown>> {
  readonly name: string
  readonly tasks: readonly Task[]
  readonly defaults: Readonly<Params>
  /**
   * Whether `fit` takes categorical (string) feature columns itself (gbdt's category-set splits). Training then
   * lets string columns that no pipeline step encodes through to the model; other algorithms need them encoded.
   */
  readonly acceptsCategorical?: boolean
  /** Checks and completes user params (names the bad field and the allowed range). */
  resolveParams(params: Partial<Params> | Record<string, unknown>): Params
  fit(frame: Frame, target: string, task: Task, params: Params, context?: FitContext): Promise<Predictor>
  load(saved: SavedModel): Predictor
}
