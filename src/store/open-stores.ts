import { dirname, join, resolve } from 'node:path'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { collectTrackingGarbage } from '../artifacts/garbage-collect.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter } from '../core/errors.js'
import type { MonitoringStore } from '../monitoring/monitoring-store.js'
import type { PredictionStore } from '../monitoring/prediction-store.js'
import type { PipelineStore } from '../pipelines/types.js'
import { Registry } from '../registry/registry.js'
import { Tracking } from '../tracking/tracking.js'
import { FsArtifactStore } from './artifacts/fs-artifact-store.js'
import { HttpArtifactStore } from './http/http-artifact-store.js'
import { HttpMonitoringStore } from './http/http-monitoring-store.js'
import { HttpPipelineStore } from './http/http-pipeline-store.js'
import { HttpPredictionStore } from './http/http-prediction-store.js'
import { HttpRegistryStore } from './http/http-registry-store.js'
import { HttpTrackingStore } from './http/http-tracking-store.js'
import { HttpTransport } from './http/http-transport.js'
import type { HttpTransportOptions } from './http/http-transport.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from './postgres/migrations/index.js'
import { PostgresDriver } from './postgres/postgres-driver.js'
import { migrate } from './sql/migrate.js'
import { SqlMonitoringStore } from './sql/monitoring/sql-monitoring-store.js'
import { SqlPipelineStore } from './sql/pipelines/sql-pipeline-store.js'
import { SqlPredictionStore } from './sql/predictions/sql-prediction-store.js'
import { SqlRegistryStore } from './sql/registry/sql-registry-store.js'
import type { SqlDriver } from './sql/sql-driver.js'
import { SqlTrackingStore } from './sql/tracking/sql-tracking-store.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from './sqlite/migrations/index.js'
import { SqliteDriver } from './sqlite/sqlite-driver.js'

/** Where keel keeps its metadata when no store is named: a SQLite file under `./.keel/`. */
export const DEFAULT_STORE_URI = 'sqlite:.keel/keel.db'

const ACCEPTED_FORMS =
  "sqlite:.keel/keel.db, sqlite:///abs/path.db, sqlite::memory:, a path ending in .db or .sqlite, postgres://user@host:5432/db, or http(s)://host:port of a keel server"

export interface OpenStoresOptions {
  /** Root of the filesystem artifact store (SQL stores only); defaults beside the SQLite file or `./.keel/artifacts`. */
  artifactsRoot?: string
  clock?: Clock
  /** Auth, timeouts and retries of the HTTP adapters. */
  http?: Omit<HttpTransportOptions, 'baseUrl'>
}

export interface GarbageCollectionOptions {
  /** Only what was deleted at least this long ago (default 0: everything deleted). */
  olderThanMs?: number
  runIds?: string[]
  experimentIds?: string[]
}

export interface GarbageCollectionResult {
  runIds: string[]
  experimentIds: string[]
  artifactFilesDeleted: number
  bytesFreed: number
  /** Artifact URIs of purged runs whose files were left in place, and why (local stores only). */
  skippedArtifactUris?: { uri: string; reason: string }[]
}

export interface Stores {
  tracking: Tracking
  registry: Registry
  artifacts: ArtifactStore
  /** Captured predictions (serving writes them, monitoring reads them). */
  predictions: PredictionStore
  /** Delayed labels (feedback) and fired alerts. */
  monitoring: MonitoringStore
  /** Durable pipeline run state: runs, steps (compare-and-set), logs. */
  pipelines: PipelineStore
  /** The URI the stores were opened from (credentials removed). */
  uri: string
  /** Purges deleted runs/experiments and their artifacts, where the artifacts live (locally, or on the server). */
  collectGarbage(options?: GarbageCollectionOptions): Promise<GarbageCollectionResult>
  close(): Promise<void>
}

export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'http'; baseUrl: string }

/** Classifies a store URI; throws INVALID_PARAMETER_VALUE naming the accepted forms. */
export function parseStoreUri(uri: string): StoreLocation {
  const text = uri.trim()
  if (text.startsWith('sqlite:')) {
    let rest = text.slice('sqlite:'.length)
    // sqlite:///abs/path.db has an empty authority, as in a file: URL.
    if (rest.startsWith('//')) rest = rest.slice(2)
    if (rest === '') throw invalidParameter(`Invalid store URI '${uri}': name the SQLite file, e.g. sqlite:.keel/keel.db.`)
    return { kind: 'sqlite', path: rest === ':memory:' ? ':memory:' : rest }
  }
  if (/^postgres(ql)?:\/\//i.test(text)) return { kind: 'postgres', connectionString: text }
  if (/^https?:\/\//i.test(text)) return { kind: 'http', baseUrl: text }
  if (text !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /\.(db|sqlite|sqlite3)$/i.test(text)) {
    return { kind: 'sqlite', path: text }
  }
  throw invalidParameter(`Unsupported store URI '${uri}': use ${ACCEPTED_FORMS}.`, { uri })
}

/** The tracking, registry and artifact stores behind one URI, validated and ready. */
export async function openStores(uri: string, options: OpenStoresOptions = {}): Promise<Stores> {
  const location = parseStoreUri(uri)
  const clock = options.clock ?? systemClock
  if (location.kind === 'http') return openHttpStores(location.baseUrl, options, clock)

  let driver: SqlDriver
  let defaultRoot: string
  if (location.kind === 'sqlite') {
    driver = new SqliteDriver({ path: location.path })
    defaultRoot =
      location.path === ':memory:' ? resolve('.keel', 'artifacts') : join(dirname(resolve(location.path)), 'artifacts')
  } else {
    driver = new PostgresDriver({ connectionString: location.connectionString })
    defaultRoot = resolve('.keel', 'artifacts')
  }
  try {
    await migrate(driver, location.kind === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS)
  } catch (error) {
    await driver.close().catch(() => {})
    throw error
  }
  const tracking = new Tracking(new SqlTrackingStore(driver, { clock }), { clock })
  const registry = new Registry(new SqlRegistryStore(driver, { clock }), { clock })
  const artifacts = new FsArtifactStore({ root: options.artifactsRoot ?? defaultRoot, clock })
  const predictions = new SqlPredictionStore(driver)
  const monitoring = new SqlMonitoringStore(driver)
  const pipelines = new SqlPipelineStore(driver, { clock })
  let closed = false
  return {
    tracking,
    registry,
    artifacts,
    predictions,
    monitoring,
    pipelines,
    uri: redact(uri),
    async collectGarbage(gc = {}) {
      const input: Parameters<typeof collectTrackingGarbage>[0] = {
        tracking,
        artifacts,
        olderThan: clock.now() - (gc.olderThanMs ?? 0),
      }
      if (gc.runIds !== undefined) input.runIds = gc.runIds
      if (gc.experimentIds !== undefined) input.experimentIds = gc.experimentIds
      return collectTrackingGarbage(input)
    },
    async close() {
      if (closed) return
      closed = true
      // The SQL stores share the driver; it is closed once, here.
      await driver.close()
    },
  }
}

function openHttpStores(baseUrl: string, options: OpenStoresOptions, clock: Clock): Stores {
  const transport = new HttpTransport({ ...options.http, baseUrl })
  const trackingStore = new HttpTrackingStore(transport, { clock })
  const tracking = new Tracking(trackingStore, { clock })
  const registry = new Registry(new HttpRegistryStore(transport), { clock })
  const artifacts = new HttpArtifactStore(transport)
  return {
    tracking,
    registry,
    artifacts,
    predictions: new HttpPredictionStore(transport),
    monitoring: new HttpMonitoringStore(transport),
    pipelines: new HttpPipelineStore(transport),
    uri: redact(baseUrl),
    collectGarbage: (gc = {}) => trackingStore.collectGarbage(gc),
    close: () => transport.close(),
  }
}

/** Drops a password from a URI before it is shown or logged. */
function redact(uri: string): string {
  try {
    const url = new URL(uri)
    if (url.password !== '') {
      url.password = '***'
      return url.toString()
    }
  } catch {
    // not a URL (a bare path): nothing to hide
  }
  return uri
}
