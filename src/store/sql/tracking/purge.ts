import { invalidParameter, notFound } from '../../../core/errors.js'
import type { PurgeResult } from '../../../tracking/index.js'
import type { SqlExecutor } from '../sql-driver.js'
import { chunk, experimentKey, lockClause, placeholders, selectIn } from './sql-util.js'
import type { StoreContext } from './store-context.js'

export interface PurgeOptions {
  olderThan: number
  runIds?: string[]
  experimentIds?: string[]
}

interface Candidate {
  id: string
  lifecycle_stage: string
  deleted_time: number | null
  artifact_uri: string
}

/** Named ids must exist, be deleted, and have been deleted at or before the cut-off. */
function checkNamed(kind: 'Run' | 'Experiment', ids: readonly string[], rows: readonly Candidate[], olderThan: number): void {
  const byId = new Map(rows.map((row) => [String(row.id), row]))
  for (const id of ids) {
    const row = byId.get(id)
    if (row === undefined) throw notFound(`${kind} with id=${id} not found; only existing deleted ${kind.toLowerCase()}s can be purged.`)
    if (row.lifecycle_stage !== 'deleted') {
      throw invalidParameter(`${kind} ${id} is not deleted; delete it before purging it.`, { id })
    }
    if (row.deleted_time !== null && Number(row.deleted_time) > olderThan) {
      throw invalidParameter(
        `${kind} ${id} was deleted at ${row.deleted_time}, after the cut-off ${olderThan}; only ${kind.toLowerCase()}s deleted before it can be purged.`,
        { id },
      )
    }
  }
}

const RUN_CANDIDATE = 'SELECT run_id AS id, lifecycle_stage, deleted_time, artifact_uri FROM runs'
const EXPERIMENT_CANDIDATE = 'SELECT experiment_id AS id, lifecycle_stage, deleted_time, artifact_location AS artifact_uri FROM experiments'

/**
 * Permanently removes deleted runs and deleted experiments (with all their runs, datasets and logged
 * models). Child rows go with ON DELETE CASCADE. Returns the artifact URIs the caller should now delete.
 * Candidates are locked as they are read (PostgreSQL), experiments before runs as everywhere else, so a
 * concurrent restore either finishes first (and the row drops out) or waits for the purge.
 */
export async function purgeDeleted(ctx: StoreContext, options: PurgeOptions): Promise<PurgeResult> {
  return ctx.driver.transaction(async (tx) => {
    const lock = lockClause(tx, 'delete')
    let experiments: Candidate[]
    let runs: Candidate[]
    if (options.runIds !== undefined || options.experimentIds !== undefined) {
      const wantedExperiments = [...new Set(options.experimentIds ?? [])]
      const keys = wantedExperiments.map(experimentKey).filter((id): id is number => id !== undefined)
      experiments = await selectIn<Candidate>(tx, keys, (list) => `${EXPERIMENT_CANDIDATE} WHERE experiment_id IN (${list})${lock}`)
      checkNamed('Experiment', wantedExperiments, experiments, options.olderThan)
      const wantedRuns = [...new Set(options.runIds ?? [])]
      runs = await selectIn<Candidate>(tx, wantedRuns, (list) => `${RUN_CANDIDATE} WHERE run_id IN (${list})${lock}`)
      checkNamed('Run', wantedRuns, runs, options.olderThan)
    } else {
      const due = `lifecycle_stage = 'deleted' AND deleted_time <= ?${lock}`
      experiments = await tx.all<Candidate>(`${EXPERIMENT_CANDIDATE} WHERE ${due}`, [options.olderThan])
      runs = await tx.all<Candidate>(`${RUN_CANDIDATE} WHERE ${due}`, [options.olderThan])
    }
    const experimentIds = experiments.map((row) => Number(row.id))
    const experimentRuns = await selectIn<Candidate>(tx, experimentIds, (list) => `${RUN_CANDIDATE} WHERE experiment_id IN (${list})${lock}`)
    const modelUris = await selectIn<{ artifact_uri: string }>(
      tx,
      experimentIds,
      (list) => `SELECT artifact_uri FROM logged_models WHERE experiment_id IN (${list})`,
    )
    const purgedRuns = new Map<string, string>()
    for (const row of [...runs, ...experimentRuns]) purgedRuns.set(String(row.id), row.artifact_uri)
    await deleteIn(tx, 'runs', 'run_id', [...purgedRuns.keys()])
    await deleteIn(tx, 'experiments', 'experiment_id', experimentIds)
    return {
      runIds: [...purgedRuns.keys()],
      experimentIds: experimentIds.map(String),
      artifactUris: [...purgedRuns.values(), ...modelUris.map((row) => row.artifact_uri)],
    }
  })
}

async function deleteIn(tx: SqlExecutor, table: string, column: string, ids: readonly (string | number)[]): Promise<void> {
  for (const part of chunk(ids)) {
    await tx.run(`DELETE FROM ${table} WHERE ${column} IN (${placeholders(part.length)})`, part)
  }
}
