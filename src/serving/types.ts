import type { Frame } from '../core/frame.js'
import type { ColumnSpec } from '../registry/types.js'
import type { Scores, ScoringModel } from '../scoring/scoring-model.js'

/**
 * The shared vocabulary of `src/serving/`: a deployment serves one registered model by alias through a traffic
 * policy; each loaded version is a `ServedVersion`; protocols turn requests into a `Frame` and `Scores` back
 * into responses; capture records what was answered.
 */

/** One registered version, loaded, warmed up and ready to score. */
export interface ServedVersion {
  /** Registered model name. */
  readonly model: string
  readonly version: string
  /** The alias it was loaded through (`champion`, `challenger`), or undefined when pinned by number. */
  readonly alias: string | undefined
  readonly scorer: ScoringModel
  /** Raw input columns with MLflow ColSpec types (from the version's signature, else the model's inputs as doubles). */
  readonly inputs: readonly ColumnSpec[]
  readonly outputs: readonly ColumnSpec[]
  readonly loadedAt: number
  readonly loadMs: number
}

/** How a deployment splits live traffic between its champion and challenger. */
export type TrafficPolicy =
  /** Everything to the champion (default). */
  | { kind: 'single' }
  /** A weighted random split: `challengerWeight` in [0, 1] of requests go to the challenger. */
  | { kind: 'canary'; challengerWeight: number }
  /** The champion answers; the challenger scores a copy (`fraction` of requests, default 1) off the response path. */
  | { kind: 'shadow'; fraction?: number }
  /** Sticky A/B: a hash of the request key (header `x-keel-route-key`, or a field) picks the arm, `challengerWeight` of keys go to B. */
  | { kind: 'ab'; challengerWeight: number }

export type Arm = 'champion' | 'challenger'

/** What a deployment answered with, plus what the shadow saw when there is one. */
export interface DeploymentAnswer {
  readonly served: ServedVersion
  readonly arm: Arm
  readonly scores: Scores
  /** Present under the shadow policy when the challenger scored the same rows (resolved later; never awaited on the response path). */
  readonly shadow?: Promise<{ served: ServedVersion; scores: Scores } | undefined>
}

/** Per-request context a deployment needs. */
export interface PredictContext {
  /** Epoch ms by which an answer must be ready; past it the request fails with 503 + Retry-After. */
  readonly deadline: number
  /** Sticky A/B key; undefined routes by weight alone. */
  readonly routeKey?: string | undefined
  /** A version the caller pinned (`/v2/models/m/versions/3/infer`): scored by it, bypassing the traffic policy; 404 when it is not loaded. */
  readonly version?: string | undefined
}

/** A model being served: `name` is the registered model name (one deployment per model). */
export interface Deployment {
  readonly name: string
  /** True once the champion is loaded and warmed up. */
  ready(): boolean
  /** The versions currently loaded (champion first). */
  versions(): readonly ServedVersion[]
  /** The version answering by default (for metadata and signature validation). */
  champion(): ServedVersion
  predict(frame: Frame, context: PredictContext): Promise<DeploymentAnswer>
  policy(): TrafficPolicy
  setPolicy(policy: TrafficPolicy): void
  /** Re-reads the aliases now and swaps in moved versions (load + warm-up beside the old, then switch). */
  refresh(): Promise<void>
  close(): Promise<void>
}

/** Adaptive batching of one served version (see batcher.ts). */
export interface BatchingOptions {
  /** Rows per batch call at most. */
  maxBatchRows: number
  /** How long the first queued request may wait for others, in ms (0: flush when the scorer is free). */
  maxWaitMs: number
  /** Requests queued at most; beyond it a request gets 503 with Retry-After at once. */
  maxQueue: number
}

/** One captured prediction, as handed to the capture buffer (cheap to build on the request path). */
export interface CapturedPrediction {
  /** Returned to the caller; feedback (true outcomes) refers to it later. */
  readonly id: string
  readonly deployment: string
  readonly model: string
  readonly version: string
  readonly arm: Arm | 'shadow'
  /** Epoch ms. */
  readonly timestamp: number
  /** The row's raw inputs by column name. */
  readonly inputs: Readonly<Record<string, number | string | null>>
  /** prediction and, for classifiers, probability per class. */
  readonly outputs: Readonly<Record<string, number | string | null>>
}
