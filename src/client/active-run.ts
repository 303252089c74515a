import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import { artifactPathFromUri, checkArtifactPath } from '../artifacts/artifact-path.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter, KeelError } from '../core/errors.js'
import { validateKey } from '../tracking/index.js'
import type { Run, RunInfo, RunStatus, Tag, TrackingStore } from '../tracking/index.js'
import { MetricBuffer } from './metric-buffer.js'
import type { ExitHooks, TimerScheduler } from './metric-buffer.js'

export type ParamValue = string | number | boolean

/** One file written by `logArtifact`; `path` is relative to the run's artifact root. */
export interface LoggedArtifact {
  path: string
  digest: string
  size: number
}

export interface DatasetSpec {
  name: string
  /** Content hash of the data; equal content, equal digest. */
  digest: string
  source: string
  sourceType?: string
  schema?: string
  profile?: string
}

export interface ActiveRunOptions {
  tracking: Pick<TrackingStore, 'logBatch' | 'updateRun' | 'logInputs' | 'getRun'>
  artifacts: ArtifactStore
  run: Run
  clock?: Clock
  flushIntervalMs?: number
  scheduler?: TimerScheduler
  exitHooks?: ExitHooks
  /** Told about background metric flushes that failed (the points stay buffered). */
  onError?: (error: unknown) => void
  /** Called once when the run ends, so its owner can forget it. */
  onEnd?: (run: ActiveRun) => void
}

const MAX_PARAMS_PER_BATCH = 100
const MAX_TAGS_PER_BATCH = 100
const MAX_ARTIFACT_FILES = 100_000

/**
 * A run being logged to. Metrics are buffered and sent in batches (`logMetric` never waits on the
 * network); params, tags, artifacts and datasets are written at once so their errors (a param logged
 * twice with another value) surface where they happen. `end()` sends what is buffered, then closes the run.
 *
 * @example
 * await using run = await keel.startRun({ experiment: 'fraud' })
 * run.logMetric('auc', 0.91, 1)
 */
export class ActiveRun {
  private readonly tracking: ActiveRunOptions['tracking']
  private readonly artifacts: ArtifactStore
  private readonly clock: Clock
  private readonly buffer: MetricBuffer
  private readonly onEnd: ((run: ActiveRun) => void) | undefined
  private current: RunInfo
  private ended = false

  constructor(options: ActiveRunOptions) {
    this.tracking = options.tracking
    this.artifacts = options.artifacts
    this.clock = options.clock ?? systemClock
    this.current = options.run.info
    this.onEnd = options.onEnd
    const bufferOptions: ConstructorParameters<typeof MetricBuffer>[0] = {
      sink: options.tracking,
      runId: options.run.info.runId,
      clock: this.clock,
    }
    if (options.flushIntervalMs !== undefined) bufferOptions.flushIntervalMs = options.flushIntervalMs
    if (options.scheduler !== undefined) bufferOptions.scheduler = options.scheduler
    if (options.exitHooks !== undefined) bufferOptions.exitHooks = options.exitHooks
    if (options.onError !== undefined) bufferOptions.onError = options.onError
    this.buffer = new MetricBuffer(bufferOptions)
  }

  get id(): string {
    return this.current.runId
  }

  get experimentId(): string {
    return this.current.experimentId
  }

  /** The run's info as of its creation or its last update by this object. */
  get info(): RunInfo {
    return this.current
  }

  get artifactUri(): string {
    return this.current.artifactUri
  }

  /** Metric points waiting to be sent. */
  get bufferedPoints(): number {
    return this.buffer.size
  }

  /** Buffers one point; a bad key or value throws here, not later in a background flush. */
  logMetric(key: string, value: number, step = 0): void {
    this.assertOpen()
    checkPoint('metric', key, value, step)
    this.buffer.add(key, value, step)
  }

  logMetrics(metrics: Readonly<Record<string, number>>, step = 0): void {
    this.assertOpen()
    const timestamp = this.clock.now()
    // Validate all first so a bad entry buffers none of the others.
    for (const [key, value] of Object.entries(metrics)) checkPoint(`metrics.${key}`, key, value, step)
    for (const [key, value] of Object.entries(metrics)) this.buffer.add(key, value, step, timestamp)
  }

  /** Params are write-once: logging another value for a key fails with INVALID_PARAMETER_VALUE. */
  async logParam(key: string, value: ParamValue): Promise<void> {
    await this.logParams({ [key]: value })
  }

  async logParams(params: Readonly<Record<string, ParamValue>>): Promise<void> {
    this.assertOpen()
    const entries = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }))
    for (let i = 0; i < entries.length; i += MAX_PARAMS_PER_BATCH) {
      await this.tracking.logBatch(this.id, { params: entries.slice(i, i + MAX_PARAMS_PER_BATCH) })
    }
  }

  async setTag(key: string, value: string): Promise<void> {
    await this.setTags({ [key]: value })
  }

  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    this.assertOpen()
    const entries: Tag[] = Object.entries(tags).map(([key, value]) => ({ key, value: String(value) }))
    for (let i = 0; i < entries.length; i += MAX_TAGS_PER_BATCH) {
      await this.tracking.logBatch(this.id, { tags: entries.slice(i, i + MAX_TAGS_PER_BATCH) })
    }
  }

  /**
   * Uploads a local file (to `<artifactPath>/<file name>`), the contents of a local directory (under
   * `<artifactPath>`, as MLflow's `log_artifacts`), or in-memory content (`{ name, content }`).
   */
  async logArtifact(
    source: string | { name: string; content: string | Uint8Array | Readable },
    artifactPath = '',
  ): Promise<LoggedArtifact[]> {
    this.assertOpen()
    const prefix = artifactPath === '' ? '' : checkArtifactPath(artifactPath)
    if (typeof source !== 'string') {
      const content = typeof source.content === 'string' ? Buffer.from(source.content) : source.content
      return [await this.put(joinPath(prefix, checkArtifactPath(source.name)), content)]
    }
    const info = await stat(source).catch((error: unknown) => {
      throw invalidParameter(`Cannot read '${source}' to log it as an artifact: ${(error as Error).message}`)
    })
    if (info.isFile()) {
      return [await this.put(joinPath(prefix, basename(source)), createReadStream(source))]
    }
    if (!info.isDirectory()) throw invalidParameter(`'${source}' is neither a file nor a directory.`)
    const logged: LoggedArtifact[] = []
    for (const file of await listFiles(source)) {
      logged.push(await this.put(joinPath(prefix, file), createReadStream(join(source, ...file.split('/')))))
    }
    return logged
  }

  /** Records that the run read a data set; `context` is e.g. `training` or `eval` (tag `mlflow.data.context`). */
  async logDataset(dataset: DatasetSpec, context?: string): Promise<void> {
    this.assertOpen()
    const record: DatasetSpecRecord = {
      name: dataset.name,
      digest: dataset.digest,
      source: dataset.source,
      sourceType: dataset.sourceType ?? 'local',
    }
    if (dataset.schema !== undefined) record.schema = dataset.schema
    if (dataset.profile !== undefined) record.profile = dataset.profile
    const tags = context === undefined ? [] : [{ key: 'mlflow.data.context', value: context }]
    await this.tracking.logInputs(this.id, [{ dataset: record, tags }])
  }

  /** Sends every buffered metric point; rejects (keeping them) when the store refuses them. */
  async flush(): Promise<void> {
    await this.buffer.flush()
  }

  /**
   * Sends buffered metrics, then sets the final status and end time. If the metrics cannot be sent the
   * run stays open and the error is thrown, so `end()` can be called again.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    if (this.ended) return this.current
    await this.buffer.close()
    this.current = await this.tracking.updateRun(this.id, { status, endTime: this.clock.now() })
    this.ended = true
    this.onEnd?.(this)
    return this.current
  }

  /** `await using run = ...` ends the run as FINISHED; call `end('FAILED')` yourself in a `catch`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end()
  }

  get isEnded(): boolean {
    return this.ended
  }

  private assertOpen(): void {
    if (this.ended) {
      throw new KeelError('INVALID_STATE', `Run ${this.id} has ended; start a new run to log more.`)
    }
  }

  private async put(relative: string, body: Readable | Uint8Array): Promise<LoggedArtifact> {
    let root: string
    try {
      root = artifactPathFromUri(this.current.artifactUri)
    } catch (error) {
      throw new KeelError(
        'INVALID_STATE',
        `Run ${this.id} stores artifacts at '${this.current.artifactUri}', which keel's artifact store does not manage.`,
        { cause: error },
      )
    }
    const result = await this.artifacts.put(joinPath(root, relative), body)
    return { path: relative, digest: result.digest, size: result.size }
  }
}

function checkPoint(field: string, key: string, value: unknown, step: unknown): void {
  validateKey(`${field} key`, key)
  if (typeof value !== 'number') {
    throw invalidParameter(`'${field}' must be a number (NaN and ±Infinity are allowed); got ${JSON.stringify(value)}.`)
  }
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) {
    throw invalidParameter(`The step of '${field}' must be an integer; got ${JSON.stringify(step)}.`)
  }
}

type DatasetSpecRecord = { name: string; digest: string; source: string; sourceType: string; schema?: string; profile?: string }

function joinPath(prefix: string, rest: string): string {
  return prefix === '' ? rest : `${prefix}/${rest}`
}

/** Files under `dir`, `/`-separated and relative to it, sorted; bounded so a huge tree fails clearly. */
async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  const queue = ['']
  for (let i = 0; i < queue.length; i++) {
    const relative = queue[i] ?? ''
    const entries = await readdir(relative === '' ? dir : join(dir, ...relative.split('/')), { withFileTypes: true })
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) queue.push(path)
      else if (entry.isFile()) files.push(path)
      if (files.length > MAX_ARTIFACT_FILES) {
        throw invalidParameter(`'${dir}' holds more than ${MAX_ARTIFACT_FILES} files; log a smaller directory or an archive.`)
      }
    }
  }
  return files.sort()
}

