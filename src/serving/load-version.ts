import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { KeelError } from '../core/errors.js'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import type { Column, Row } from '../core/frame.js'
import type { ColumnSpec, ModelVersion } from '../registry/types.js'
import { loadScoringModel } from '../scoring/scoring-model.js'
import type { ScoringModel } from '../scoring/scoring-model.js'
import type { ServedVersion } from './types.js'

/**
 * Loading one registered version for serving: resolve the alias (or version number), load the scorer, derive
 * its wire signature, and warm it up so the first live request does not pay for lazy initialisation
 * (JIT, onnxruntime session set-up, worker start). A version only counts as loaded after warm-up succeeded.
 */

export const DEFAULT_WARMUP_RUNS = 3

export interface LoadVersionOptions {
  clock: Clock
  /** Times the warm-up row is scored (default 3). */
  warmupRuns?: number
  /** Told how long load + warm-up took (ServingMetrics.observeLoad fits). */
  observeLoad?: (model: string, version: string, seconds: number) => void
  /** How the scorer is loaded (default `loadScoringModel`); tests wrap it. */
  loadScorer?: (keel: Keel, modelUri: string) => Promise<ScoringModel>
}

/** `'champion'` → `models:/name@champion`; `'3'` → `models:/name/3`. */
export function modelUriOf(name: string, ref: string): string {
  return /^[0-9]+$/.test(ref) ? `models:/${name}/${ref}` : `models:/${name}@${ref}`
}

/** The alias a deployment ref names, or undefined when it pins a version number. */
export function aliasOf(ref: string): string | undefined {
  return /^[0-9]+$/.test(ref) ? undefined : ref
}

/** The registered version `ref` (alias or version number) points at now. */
export async function resolveVersion(keel: Keel, name: string, ref: string): Promise<ModelVersion> {
  return keel.resolve(modelUriOf(name, ref))
}

/**
 * Loads and warms up `version` (already resolved, so a concurrent alias move cannot change what is loaded).
 * On any failure the scorer is closed and the error thrown: the caller keeps serving what it had.
 */
export async function loadVersion(keel: Keel, version: ModelVersion, alias: string | undefined, options: LoadVersionOptions): Promise<ServedVersion> {
  const started = options.clock.now()
  const startedHr = process.hrtime.bigint()
  const scorer = await (options.loadScorer ?? loadScoringModel)(keel, `models:/${version.name}/${version.version}`)
  try {
    const inputs = inputSpecs(version, scorer)
    const outputs = outputSpecs(version, scorer)
    await warmUp(scorer, warmupFrame(version.lineage.inputExample, inputs, scorer), options.warmupRuns ?? DEFAULT_WARMUP_RUNS)
    // The monotonic timer measures; the injected clock only stamps (a manual clock would measure 0).
    const loadMs = Number(process.hrtime.bigint() - startedHr) / 1e6
    options.observeLoad?.(version.name, version.version, loadMs / 1000)
    return { model: version.name, version: version.version, alias, scorer, inputs, outputs, loadedAt: started, loadMs }
  } catch (error) {
    await scorer.close().catch(() => undefined)
    throw error
  }
}

/** The version's signature inputs, else the scorer's inputs as optional doubles (categoricals as strings). */
export function inputSpecs(version: ModelVersion, scorer: ScoringModel): ColumnSpec[] {
  const signature = version.lineage.signature
  if (signature !== undefined && signature.inputs.length > 0) return signature.inputs.map((c) => ({ ...c }))
  return scorer.inputs.map((name) => ({ name, type: isCategorical(scorer, name) ? 'string' : 'double', required: false }))
}

/** The version's signature outputs, else what the scorer returns: one probability per class, or a prediction. */
export function outputSpecs(version: ModelVersion, scorer: ScoringModel): ColumnSpec[] {
  const signature = version.lineage.signature
  if (signature !== undefined && signature.outputs.length > 0) return signature.outputs.map((c) => ({ ...c }))
  if (scorer.classes !== undefined) return scorer.classes.map((c) => ({ name: `probability_${c}`, type: 'double' }))
  return [{ name: 'prediction', type: 'double' }]
}

function isCategorical(scorer: ScoringModel, name: string): boolean {
  const type = scorer.schema[name]
  return type === 'category' || type === 'categorical' || type === 'string'
}

/**
 * One row to warm up with, in the columns the scorer reads: values from the version's input example when it has
 * one (a record, an array of records, or MLflow's `{columns, data}` split), else zeros for numbers and a missing
 * value for categories (always valid: the first category of a trained pipeline is not known here).
 */
export function warmupFrame(inputExample: unknown, inputs: readonly ColumnSpec[], scorer: ScoringModel): Frame {
  const row = exampleRow(inputExample)
  const columns: Column[] = scorer.inputs.map((name) => {
    const value = row?.[name]
    const categorical = isCategorical(scorer, name) || inputs.some((s) => s.name === name && s.type === 'string')
    if (categorical) return categoricalColumn(name, [typeof value === 'string' ? value : value === null || value === undefined ? null : String(value)])
    return numericColumn(name, [typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : 0])
  })
  return new Frame(columns)
}

function exampleRow(example: unknown): Row | undefined {
  if (example === null || typeof example !== 'object') return undefined
  if (Array.isArray(example)) return exampleRow(example[0])
  const split = example as { columns?: unknown; data?: unknown }
  if (Array.isArray(split.columns) && Array.isArray(split.data) && Array.isArray(split.data[0])) {
    const values = split.data[0] as unknown[]
    const row: Record<string, Row[string]> = {}
    split.columns.forEach((c, i) => {
      const v = values[i]
      if (typeof c === 'string' && (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) row[c] = v
    })
    return row
  }
  return example as Row
}

async function warmUp(scorer: ScoringModel, frame: Frame, runs: number): Promise<void> {
  for (let i = 0; i < Math.max(1, runs); i++) {
    const scores = await scorer.score(frame)
    if (scores.prediction.length < frame.rows) {
      throw new KeelError('INVALID_STATE', `Warm-up of the model scored ${scores.prediction.length} predictions for ${frame.rows} rows; its outputs do not match its inputs.`)
    }
  }
}
