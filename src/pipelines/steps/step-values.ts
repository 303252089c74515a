import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { artifactPathFromUri } from '../../artifacts/artifact-path.js'
import type { ArtifactStore } from '../../artifacts/artifact-store.js'
import { invalidParameter } from '../../core/errors.js'
import type { StepContext, StepValue } from '../types.js'

/**
 * What built-in steps pass between each other. Bulk data never crosses a queue: a dataset is the file's URI plus
 * the content digest (`datasetDigest`, so the cache key changes exactly when the data does), a model is a model URI
 * plus the digest of its artifact directory.
 */
export interface DatasetRef {
  [key: string]: StepValue
  /** `file:///abs/path.csv`. */
  uri: string
  digest: string
  rows: number
  columns: string[]
}

export interface ModelRef {
  [key: string]: StepValue
  /** `runs:/<run id>/model`, `models:/name/3`, `models:/name@alias`. */
  uri: string
  digest: string
}

/** A caller's mistake in a step's inputs: never worth retrying. */
export function badInput(context: Pick<StepContext, 'step'>, input: string, problem: string): Error {
  return invalidParameter(`Step '${context.step}': input '${input}' ${problem}`)
}

export function objectInput(context: StepContext, input: string): Record<string, StepValue> {
  const value = context.inputs[input]
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(context, input, `must be an object, got ${JSON.stringify(value) ?? 'nothing'}.`)
  return value
}

export function stringInput(context: StepContext, input: string): string {
  const value = context.inputs[input]
  if (typeof value !== 'string' || value === '') throw badInput(context, input, `must be a non-empty string, got ${JSON.stringify(value) ?? 'nothing'}.`)
  return value
}

function refInput(context: StepContext, input: string, what: string): { uri: string; digest: string; value: Record<string, StepValue> } {
  const value = objectInput(context, input)
  const { uri, digest } = value
  if (typeof uri !== 'string' || typeof digest !== 'string') {
    throw badInput(context, input, `must be ${what} reference {uri, digest}, got ${JSON.stringify(value)}.`)
  }
  return { uri, digest, value }
}

export function datasetInput(context: StepContext, input: string): DatasetRef {
  const { uri, digest, value } = refInput(context, input, 'a dataset')
  const rows = typeof value['rows'] === 'number' ? value['rows'] : -1
  const columns = Array.isArray(value['columns']) ? value['columns'].filter((c): c is string => typeof c === 'string') : []
  return { uri, digest, rows, columns }
}

export function modelInput(context: StepContext, input: string): ModelRef {
  const { uri, digest } = refInput(context, input, 'a model')
  return { uri, digest }
}

/** A local path or `file:` URI → an absolute path (relative paths resolve against the working directory). */
export function localPath(uriOrPath: string): string {
  if (uriOrPath.startsWith('file:')) return fileURLToPath(uriOrPath)
  if (/^[a-z][a-z0-9+.-]*:/i.test(uriOrPath)) {
    throw invalidParameter(`'${uriOrPath}' is not a local file: built-in steps read files by path or file:// URI.`)
  }
  return isAbsolute(uriOrPath) ? uriOrPath : resolve(uriOrPath)
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href
}

/** sha256 of a file, streamed. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const MAX_DIGEST_FILES = 10_000

/**
 * The digest of a directory in the artifact store: sha256 of its sorted `path NUL digest` lines — the same
 * recipe as a model version's lineage `artifact_digest`, so a model ref and its registered version agree.
 */
export async function artifactDirDigest(artifacts: ArtifactStore, uri: string): Promise<string> {
  const root = artifactPathFromUri(uri)
  const lines: string[] = []
  const queue = ['']
  for (let i = 0; i < queue.length && lines.length <= MAX_DIGEST_FILES; i++) {
    const relative = queue[i] ?? ''
    for (const entry of await artifacts.list(relative === '' ? root : `${root}/${relative}`)) {
      const child = relative === '' ? entry.path : `${relative}/${entry.path}`
      if (entry.isDir) queue.push(child)
      else lines.push(`${child}\0${entry.digest ?? ''}\n`)
    }
  }
  if (lines.length === 0) throw invalidParameter(`No artifacts under '${uri}': the model was not logged there.`)
  return createHash('sha256').update(lines.sort().join('')).digest('hex')
}

/** Metrics and tags on the step's own (nested) tracking run. */
export async function logToStepRun(context: StepContext, data: { metrics?: Record<string, number>; tags?: Record<string, string> }): Promise<void> {
  const now = Date.now()
  const metrics = Object.entries(data.metrics ?? {})
    .filter(([, value]) => Number.isFinite(value))
    .map(([key, value]) => ({ key, value, timestamp: now, step: 0 }))
  const tags = Object.entries(data.tags ?? {}).map(([key, value]) => ({ key, value }))
  if (metrics.length === 0 && tags.length === 0) return
  await context.keel.tracking.logBatch(context.trackingRunId, { metrics, tags })
}

/** Throws the signal's reason when the engine aborted the step (timeout, cancel). */
export function checkAborted(context: StepContext): void {
  if (context.signal.aborted) throw context.signal.reason instanceof Error ? context.signal.reason : new Error(`Step '${context.step}' was aborted.`)
}

export function metricsRecord(value: StepValue | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out
  for (const [key, v] of Object.entries(value)) if (typeof v === 'number') out[key] = v
  return out
}
