import { createHash } from 'node:crypto'
import { userInfo } from 'node:os'
import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter, isKeelError } from '../core/errors.js'
import type { MonitoringStore } from '../monitoring/monitoring-store.js'
import type { PredictionStore } from '../monitoring/prediction-store.js'
import type { PipelineStore } from '../pipelines/types.js'
import { captureEnvironment, gitCommit } from '../registry/environment.js'
import type { Registry } from '../registry/registry.js'
import type { Lineage, ModelVersion, Tag } from '../registry/types.js'
import { DEFAULT_STORE_URI, openStores } from '../store/open-stores.js'
import type { OpenStoresOptions, Stores } from '../store/open-stores.js'
import type { Tracking } from '../tracking/tracking.js'
import type { Experiment, Run } from '../tracking/types.js'
import { ActiveRun } from './active-run.js'
import type { ExitHooks, MetricBuffer } from './metric-buffer.js'

export interface KeelOptions extends OpenStoresOptions {
  /** Working directory for git commit and lockfile capture (default `process.cwd()`). */
  cwd?: string
  /** Recorded as the runs' `mlflow.user` and as who moved an alias (default: the OS user). */
  user?: string
  /** How often buffered metrics are sent at the latest (default 1000 ms). */
  flushIntervalMs?: number
  /** Told about background metric flushes that failed; the points stay buffered either way. */
  onFlushError?: (error: unknown) => void
}

export interface StartRunOptions {
  /** Experiment name (created when missing); defaults to the one `setExperiment` chose, else `Default`. */
  experiment?: string
  experimentId?: string
  runName?: string
  tags?: Readonly<Record<string, string>>
  /** Makes this a child run (MLflow's `mlflow.parentRunId` tag). */
  parentRunId?: string
}

export interface RegisterModelOptions {
  name: string
  /** Where the model is: `mlflow-artifacts:/...`, `runs:/<run id>/<path>`, or any URI. */
  source?: string
  /** With `artifactPath` instead of `source`: the model logged under that path of this run. */
  runId?: string
  artifactPath?: string
  description?: string
  tags?: Readonly<Record<string, string>>
  /** Filled in where absent: environment, code version, artifact and dataset digests. */
  lineage?: Lineage
  modelId?: string
}

const MAX_DIGEST_FILES = 10_000

/**
 * keel's TypeScript client: one object over the tracking, registry and artifact stores of a URI
 * (local SQLite by default, PostgreSQL, or a keel server).
 *
 * @example
 * const keel = await Keel.open()
 * await keel.setExperiment('fraud')
 * const run = await keel.startRun({ runName: 'gbm-depth-6' })
 * run.logMetric('auc', 0.93, 10)
 * await run.end()
 * const v = await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: 'model' })
 * await keel.setAlias('fraud', 'champion', v.version)
 * await keel.close()
 */
export class Keel {
  readonly tracking: Tracking
  readonly registry: Registry
  readonly artifacts: ArtifactStore
  /** Captured predictions of served models (written by `keel serve`, read by monitoring). */
  readonly predictions: PredictionStore
  /** Delayed labels (feedback) and fired alerts of monitored models. */
  readonly monitoring: MonitoringStore
  /** Durable pipeline run state (what `keel pipeline list|show|logs` read). */
  readonly pipelines: PipelineStore
  readonly stores: Stores
  private readonly clock: Clock
  private readonly cwd: string
  private readonly user: string
  private readonly options: KeelOptions
  private readonly runs = new Set<ActiveRun>()
  private readonly exitHooks: SharedExitHooks
  private experimentId: string | undefined

  static async open(uri: string = DEFAULT_STORE_URI, options: KeelOptions = {}): Promise<Keel> {
    return new Keel(await openStores(uri, options), options)
  }

  constructor(stores: Stores, options: KeelOptions = {}) {
    this.stores = stores
    this.tracking = stores.tracking
    this.registry = stores.registry
    this.artifacts = stores.artifacts
    this.predictions = stores.predictions
    this.monitoring = stores.monitoring
    this.pipelines = stores.pipelines
    this.options = options
    this.clock = options.clock ?? systemClock
    this.cwd = options.cwd ?? process.cwd()
    this.user = options.user ?? osUser()
    this.exitHooks = new SharedExitHooks()
  }

  /** Gets or creates the experiment, and makes it the default of `startRun`. */
  async setExperiment(name: string): Promise<Experiment> {
    const experiment = await this.experimentNamed(name)
    this.experimentId = experiment.experimentId
    return experiment
  }

  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    const experimentId =
      options.experimentId ??
      (options.experiment === undefined ? undefined : (await this.experimentNamed(options.experiment)).experimentId) ??
      this.experimentId ??
      '0'
    const tags: Tag[] = [
      { key: 'mlflow.user', value: this.user },
      { key: 'mlflow.source.type', value: 'LOCAL' },
    ]
    const script = process.argv[1]
    if (script !== undefined) tags.push({ key: 'mlflow.source.name', value: script })
    const commit = await gitCommit(this.cwd)
    if (commit !== undefined) tags.push({ key: 'mlflow.source.git.commit', value: commit })
    if (options.parentRunId !== undefined) tags.push({ key: 'mlflow.parentRunId', value: options.parentRunId })
    for (const [key, value] of Object.entries(options.tags ?? {})) {
      const existing = tags.findIndex((t) => t.key === key)
      if (existing >= 0) tags.splice(existing, 1)
      tags.push({ key, value })
    }
    const input: Parameters<Tracking['createRun']>[0] = {
      experimentId,
      startTime: this.clock.now(),
      userId: this.user,
      tags,
    }
    if (options.runName !== undefined) input.runName = options.runName
    const run = await this.tracking.createRun(input)
    const runOptions: ConstructorParameters<typeof ActiveRun>[0] = {
      tracking: this.tracking,
      artifacts: this.artifacts,
      run,
      clock: this.clock,
      exitHooks: this.exitHooks,
      onEnd: (ended) => this.runs.delete(ended),
    }
    if (this.options.flushIntervalMs !== undefined) runOptions.flushIntervalMs = this.options.flushIntervalMs
    if (this.options.onFlushError !== undefined) runOptions.onError = this.options.onFlushError
    const active = new ActiveRun(runOptions)
    this.runs.add(active)
    return active
  }

  /**
   * Registers a new version (creating the registered model when missing) with its lineage: the
   * environment (Node, keel, lockfile hash) and git commit are captured here when not given, the artifact
   * digest is read from the artifact store, and the dataset digest from the run's logged training data.
   */
  async registerModel(options: RegisterModelOptions): Promise<ModelVersion> {
    let source = options.source
    let runId = options.runId
    const runsUri = source === undefined ? undefined : /^runs:\/([^/]+)\/?(.*)$/.exec(source)
    if (runsUri !== null && runsUri !== undefined) {
      runId = runsUri[1]
      source = undefined
    }
    let run: Run | undefined
    if (source === undefined) {
      const artifactPath = runsUri?.[2] ?? options.artifactPath
      if (runId === undefined || artifactPath === undefined) {
        throw invalidParameter(
          "registerModel needs 'source', or 'runId' with 'artifactPath' (the model's path among the run's artifacts).",
        )
      }
      run = await this.tracking.getRun(runId)
      source = artifactPath === '' ? run.info.artifactUri : `${run.info.artifactUri}/${artifactPath.replace(/^\/+|\/+$/g, '')}`
    } else if (runId !== undefined) {
      run = await this.tracking.getRun(runId)
    }

    await this.ensureRegisteredModel(options.name)
    const lineage = await this.completeLineage(options.lineage ?? {}, source, run)
    const input: Parameters<Registry['createModelVersion']>[0] = {
      name: options.name,
      source,
      userId: this.user,
      lineage,
    }
    if (runId !== undefined) input.runId = runId
    if (options.description !== undefined) input.description = options.description
    if (options.modelId !== undefined) input.modelId = options.modelId
    if (options.tags !== undefined) input.tags = Object.entries(options.tags).map(([key, value]) => ({ key, value }))
    return this.registry.createModelVersion(input)
  }

  /** Points `alias` at `version`; the move is recorded in the alias history with this client's user. */
  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.registry.setAlias(name, alias, String(version), this.user)
  }

  /** `models:/name@alias`, `models:/name/3` or `models:/name/latest` → the model version. */
  async resolve(modelUri: string): Promise<ModelVersion> {
    return this.registry.resolveModelUri(modelUri)
  }

  /** Sends the metrics every open run has buffered, then closes the stores. Runs keep their status. */
  async close(): Promise<void> {
    const errors: unknown[] = []
    for (const run of this.runs) await run.flush().catch((error: unknown) => errors.push(error))
    this.exitHooks.clear()
    await this.stores.close()
    if (errors.length > 0) throw errors[0]
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async experimentNamed(name: string): Promise<Experiment> {
    const existing = await this.tracking.getExperimentByName(name)
    if (existing !== undefined) return checkActive(existing)
    try {
      const id = await this.tracking.createExperiment({ name })
      return await this.tracking.getExperiment(id)
    } catch (error) {
      // Another process created it between our read and our create.
      if (isKeelError(error) && error.code === 'RESOURCE_ALREADY_EXISTS') {
        const raced = await this.tracking.getExperimentByName(name)
        if (raced !== undefined) return checkActive(raced)
      }
      throw error
    }
  }

  private async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.registry.getRegisteredModel(name)
      return
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'RESOURCE_DOES_NOT_EXIST') throw error
    }
    try {
      await this.registry.createRegisteredModel({ name })
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'RESOURCE_ALREADY_EXISTS') throw error
    }
  }

  private async completeLineage(given: Lineage, source: string, run: Run | undefined): Promise<Lineage> {
    const lineage: Lineage = { ...given }
    lineage.environment ??= await captureEnvironment({ cwd: this.cwd })
    if (lineage.codeVersion === undefined) {
      const commit =
        run?.data.tags.find((t) => t.key === 'mlflow.source.git.commit')?.value ?? (await gitCommit(this.cwd))
      if (commit !== undefined) lineage.codeVersion = commit
    }
    if (lineage.artifactDigest === undefined) {
      const digest = await this.artifactDigest(source)
      if (digest !== undefined) lineage.artifactDigest = digest
    }
    if (lineage.datasetDigest === undefined && run !== undefined) {
      const digest = trainingDatasetDigest(run)
      if (digest !== undefined) lineage.datasetDigest = digest
    }
    return lineage
  }

  /**
   * A file's sha256, or for a directory the sha256 of its sorted `path NUL digest` lines; undefined when the
   * source is not in keel's artifact store or a digest is unknown.
   */
  private async artifactDigest(source: string): Promise<string | undefined> {
    let path: string
    try {
      path = artifactPathFromUri(source)
    } catch {
      return undefined
    }
    if (path === '') return undefined
    const info = await this.artifacts.stat(path).catch(() => undefined)
    if (info === undefined) return undefined
    if (!info.isDir) return info.digest
    const lines: string[] = []
    const queue = ['']
    for (let i = 0; i < queue.length && lines.length <= MAX_DIGEST_FILES; i++) {
      const relative = queue[i] ?? ''
      for (const entry of await this.artifacts.list(relative === '' ? path : `${path}/${relative}`)) {
        const child = relative === '' ? entry.path : `${relative}/${entry.path}`
        if (entry.isDir) queue.push(child)
        else if (entry.digest === undefined) return undefined
        else lines.push(`${child}\0${entry.digest}\n`)
      }
    }
    if (lines.length === 0 || lines.length > MAX_DIGEST_FILES) return undefined
    return createHash('sha256').update(lines.sort().join('')).digest('hex')
  }
}

function checkActive(experiment: Experiment): Experiment {
  if (experiment.lifecycleStage === 'deleted') {
    throw invalidParameter(
      `Experiment '${experiment.name}' (id ${experiment.experimentId}) is deleted; restore it with 'keel experiments restore ${experiment.experimentId}' or use another name.`,
    )
  }
  return experiment
}

/** The digest of the data set the run trained on: the one tagged training/train, else the only one. */
function trainingDatasetDigest(run: Run): string | undefined {
  const inputs = run.inputs.datasetInputs
  const training = inputs.find((input) =>
    input.tags.some((t) => t.key === 'mlflow.data.context' && /^train(ing)?$/i.test(t.value)),
  )
  if (training !== undefined) return training.dataset.digest
  return inputs.length === 1 ? inputs[0]?.dataset.digest : undefined
}

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/** One `beforeExit` listener for all of a client's runs, held only while some run has points waiting. */
class SharedExitHooks implements ExitHooks {
  private readonly buffers = new Set<MetricBuffer>()
  private readonly listener = (): void => {
    for (const buffer of [...this.buffers]) void buffer.flushBeforeExit()
  }

  add(buffer: MetricBuffer): void {
    if (this.buffers.size === 0) process.on('beforeExit', this.listener)
    this.buffers.add(buffer)
  }

  delete(buffer: MetricBuffer): void {
    if (this.buffers.delete(buffer) && this.buffers.size === 0) process.off('beforeExit', this.listener)
  }

  clear(): void {
    if (this.buffers.size > 0) process.off('beforeExit', this.listener)
    this.buffers.clear()
  }
}
