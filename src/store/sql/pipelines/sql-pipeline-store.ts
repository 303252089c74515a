import type { Clock } from '../../../core/clock.js'
import { alreadyExists, invalidParameter, notFound } from '../../../core/errors.js'
import type { PipelineRunRecord, PipelineStore, RunStatus, StepRunRecord, StepStatus, StepValue } from '../../../pipelines/types.js'
import type { SqlDriver, SqlValue } from '../sql-driver.js'

export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled']
export const STEP_STATUSES: readonly StepStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'cached']
export const DEFAULT_PIPELINE_RUNS = 100
export const MAX_PIPELINE_RUNS = 10_000
/** Rows per multi-row INSERT of a run's steps (fixed shapes 32, 16, …, 1; 14 columns → 448 parameters). */
const STEPS_PER_INSERT = 32

const RUN_STATUS_SET: ReadonlySet<string> = new Set(RUN_STATUSES)
const STEP_STATUS_SET: ReadonlySet<string> = new Set(STEP_STATUSES)
const RUN_COLUMNS = 'id, pipeline, definition_digest, params_json, status, tracking_run_id, created_at, updated_at, error'
const STEP_COLUMNS =
  'run_id, step, status, attempt, cache_key, cache_reason, outputs_json, error, worker, tracking_run_id, started_at, finished_at, attempts_json'
const STEP_INSERT = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
/** One UPDATE per expected-status count (1..7), built once: the engine's hot path reuses prepared statements. */
const UPDATE_STEP: readonly string[] = Array.from(
  { length: STEP_STATUSES.length + 1 },
  (_, n) =>
    'UPDATE pipeline_steps SET status = ?, attempt = ?, cache_key = ?, cache_reason = ?, outputs_json = ?, error = ?, worker = ?, ' +
    `tracking_run_id = ?, started_at = ?, finished_at = ?, attempts_json = ? WHERE run_id = ? AND step = ? AND status IN (${'?, '.repeat(Math.max(n - 1, 0))}?)`,
)

type Int = number | bigint | string
type RunRow = {
  id: string
  pipeline: string
  definition_digest: string
  params_json: string
  status: string
  tracking_run_id: string
  created_at: Int
  updated_at: Int
  error: string | null
}
type StepRow = {
  run_id: string
  step: string
  status: string
  attempt: Int
  cache_key: string
  cache_reason: string
  outputs_json: string | null
  error: string | null
  worker: string | null
  tracking_run_id: string | null
  started_at: Int | null
  finished_at: Int | null
  attempts_json: string
}

/**
 * `PipelineStore` on SQLite or PostgreSQL through one `SqlDriver`. `updateStep` is a single conditional UPDATE
 * (`… WHERE status IN (expected)`): both databases apply it atomically per row, so of two workers finishing
 * the same step only one sees a changed row, with no transaction round trips on the engine's hot path.
 * Assumes `migrate()` ran; the driver belongs to the caller, which closes it.
 */
export class SqlPipelineStore implements PipelineStore {
  private readonly clock: Clock

  constructor(
    private readonly driver: SqlDriver,
    options: { clock: Clock },
  ) {
    this.clock = options.clock
  }

  async createRun(run: PipelineRunRecord, steps: StepRunRecord[]): Promise<void> {
    checkRun(run)
    const names = new Set<string>()
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      checkStep(step, `steps[${i}]`)
      if (step.runId !== run.id) {
        throw invalidParameter(`Invalid value '${step.runId}' for 'steps[${i}].run_id': every step must belong to run '${run.id}'.`)
      }
      if (names.has(step.step)) throw invalidParameter(`Duplicate step '${step.step}' in run '${run.id}': step names are unique within a run.`)
      names.add(step.step)
    }
    await this.driver.transaction(async (tx) => {
      const inserted = await tx.run(`INSERT INTO pipeline_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, [
        run.id,
        run.pipeline,
        run.definitionDigest,
        JSON.stringify(run.params),
        run.status,
        run.trackingRunId,
        run.createdAt,
        run.updatedAt,
        run.error ?? null,
      ])
      if (inserted.changes === 0) throw alreadyExists(`Pipeline run '${run.id}' already exists; start a new run with a fresh id.`)
      for (let at = 0; at < steps.length; ) {
        let size = STEPS_PER_INSERT
        while (size > steps.length - at) size >>= 1
        const params: SqlValue[] = []
        for (let i = at; i < at + size; i++) params.push(...stepValues(steps[i]!), i)
        await tx.run(
          `INSERT INTO pipeline_steps (${STEP_COLUMNS}, position) VALUES ${`${STEP_INSERT}, `.repeat(size - 1)}${STEP_INSERT}`,
          params,
        )
        at += size
      }
    })
  }

  async getRun(id: string): Promise<PipelineRunRecord | undefined> {
    const row = await this.driver.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE id = ?`, [id])
    return row === undefined ? undefined : fromRunRow(row)
  }

  async listRuns(query: { pipeline?: string; status?: RunStatus; maxResults?: number }): Promise<PipelineRunRecord[]> {
    const limit = query.maxResults ?? DEFAULT_PIPELINE_RUNS
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PIPELINE_RUNS) {
      throw invalidParameter(`Invalid value ${String(limit)} for parameter 'max_results': expected an integer from 1 to ${MAX_PIPELINE_RUNS}.`)
    }
    const where: string[] = []
    const params: SqlValue[] = []
    if (query.pipeline !== undefined) {
      where.push('pipeline = ?')
      params.push(query.pipeline)
    }
    if (query.status !== undefined) {
      checkRunStatus(query.status, 'status')
      where.push('status = ?')
      params.push(query.status)
    }
    params.push(limit)
    const rows = await this.driver.all<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM pipeline_runs${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC LIMIT ?`,
      params,
    )
    return rows.map(fromRunRow)
  }

  async setRunStatus(id: string, status: RunStatus, error?: string): Promise<void> {
    checkRunStatus(status, 'status')
    if (error !== undefined && typeof error !== 'string') throw invalidParameter("Invalid value for 'error': expected a string.")
    const result = await this.driver.run('UPDATE pipeline_runs SET status = ?, error = ?, updated_at = ? WHERE id = ?', [
      status,
      error ?? null,
      this.clock.now(),
      id,
    ])
    if (result.changes === 0) throw noRun(id)
  }

  async getSteps(runId: string): Promise<StepRunRecord[]> {
    const rows = await this.driver.all<StepRow>(`SELECT ${STEP_COLUMNS} FROM pipeline_steps WHERE run_id = ? ORDER BY position`, [runId])
    return rows.map(fromStepRow)
  }

  async updateStep(step: StepRunRecord, expected: readonly StepStatus[]): Promise<boolean> {
    checkStep(step, 'step')
    if (expected.length === 0) throw invalidParameter("Missing value for 'expected': name the statuses the step may be in (compare-and-set).")
    const wanted = [...new Set(expected)]
    for (const status of wanted) checkStepStatus(status, 'expected')
    const values = stepValues(step)
    // stepValues starts with run_id, step; the UPDATE names them last, in its WHERE clause.
    const result = await this.driver.run(UPDATE_STEP[wanted.length]!, [...values.slice(2), step.runId, step.step, ...wanted])
    if (result.changes > 0) return true
    // The rare path: tell a lost race (false) from a step that does not exist (a caller's mistake).
    const exists = await this.driver.get('SELECT 1 AS one FROM pipeline_steps WHERE run_id = ? AND step = ?', [step.runId, step.step])
    if (exists === undefined) throw notFound(`No step '${step.step}' in pipeline run '${step.runId}'; steps are created with the run (createRun).`)
    return false
  }

  async findCached(cacheKey: string): Promise<StepRunRecord | undefined> {
    const row = await this.driver.get<StepRow>(
      `SELECT ${STEP_COLUMNS} FROM pipeline_steps WHERE cache_key = ? AND status = 'succeeded' ORDER BY finished_at DESC, run_id DESC, step DESC LIMIT 1`,
      [cacheKey],
    )
    return row === undefined ? undefined : fromStepRow(row)
  }

  async appendLog(runId: string, step: string, line: string, at: number): Promise<void> {
    if (typeof step !== 'string') throw invalidParameter("Invalid value for 'step': expected the step name.")
    if (typeof line !== 'string') throw invalidParameter("Invalid value for 'line': expected a string.")
    checkTime(at, 'at')
    // One statement: the run must exist (a log line for no run is a caller's mistake, not an orphan row); the
    // CAST types the parameter for PostgreSQL's INSERT … SELECT.
    const result = await this.driver.run(
      'INSERT INTO pipeline_logs (run_id, step, line, at) SELECT id, ?, ?, CAST(? AS BIGINT) FROM pipeline_runs WHERE id = ?',
      [step, line, at, runId],
    )
    if (result.changes === 0) throw noRun(runId)
  }

  async logs(runId: string, step?: string): Promise<Array<{ step: string; line: string; at: number }>> {
    const rows =
      step === undefined
        ? await this.driver.all<{ step: string; line: string; at: Int }>('SELECT step, line, at FROM pipeline_logs WHERE run_id = ? ORDER BY id', [runId])
        : await this.driver.all<{ step: string; line: string; at: Int }>(
            'SELECT step, line, at FROM pipeline_logs WHERE run_id = ? AND step = ? ORDER BY id',
            [runId, step],
          )
    return rows.map((row) => ({ step: row.step, line: row.line, at: Number(row.at) }))
  }
}

/** The values of STEP_COLUMNS, in order. */
function stepValues(step: StepRunRecord): SqlValue[] {
  return [
    step.runId,
    step.step,
    step.status,
    step.attempt,
    step.cacheKey,
    step.cacheReason,
    step.outputs === undefined ? null : JSON.stringify(step.outputs),
    step.error ?? null,
    step.worker ?? null,
    step.trackingRunId ?? null,
    step.startedAt ?? null,
    step.finishedAt ?? null,
    JSON.stringify(step.attempts),
  ]
}

function fromRunRow(row: RunRow): PipelineRunRecord {
  const run: PipelineRunRecord = {
    id: row.id,
    pipeline: row.pipeline,
    definitionDigest: row.definition_digest,
    params: JSON.parse(row.params_json) as Record<string, StepValue>,
    status: row.status as RunStatus,
    trackingRunId: row.tracking_run_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
  if (row.error !== null) run.error = row.error
  return run
}

function fromStepRow(row: StepRow): StepRunRecord {
  const step: StepRunRecord = {
    runId: row.run_id,
    step: row.step,
    status: row.status as StepStatus,
    attempt: Number(row.attempt),
    cacheKey: row.cache_key,
    cacheReason: row.cache_reason,
    attempts: JSON.parse(row.attempts_json) as StepRunRecord['attempts'],
  }
  if (row.outputs_json !== null) step.outputs = JSON.parse(row.outputs_json) as Record<string, StepValue>
  if (row.error !== null) step.error = row.error
  if (row.worker !== null) step.worker = row.worker
  if (row.tracking_run_id !== null) step.trackingRunId = row.tracking_run_id
  if (row.started_at !== null) step.startedAt = Number(row.started_at)
  if (row.finished_at !== null) step.finishedAt = Number(row.finished_at)
  return step
}

function checkRun(run: PipelineRunRecord): void {
  for (const field of ['id', 'pipeline', 'definitionDigest', 'trackingRunId'] as const) checkName(run[field], `run.${field}`)
  checkRunStatus(run.status, 'run.status')
  checkObject(run.params, 'run.params')
  checkTime(run.createdAt, 'run.createdAt')
  checkTime(run.updatedAt, 'run.updatedAt')
  if (run.error !== undefined && typeof run.error !== 'string') throw invalidParameter("Invalid value for 'run.error': expected a string.")
}

function checkStep(step: StepRunRecord, where: string): void {
  checkName(step.runId, `${where}.runId`)
  checkName(step.step, `${where}.step`)
  checkStepStatus(step.status, `${where}.status`)
  if (!Number.isSafeInteger(step.attempt) || step.attempt < 0) {
    throw invalidParameter(`Invalid value ${String(step.attempt)} for '${where}.attempt': expected 0 (not started) or the attempt number.`)
  }
  if (typeof step.cacheKey !== 'string') throw invalidParameter(`Invalid value for '${where}.cacheKey': expected a string.`)
  if (typeof step.cacheReason !== 'string') throw invalidParameter(`Invalid value for '${where}.cacheReason': expected a string.`)
  if (step.outputs !== undefined) checkObject(step.outputs, `${where}.outputs`)
  for (const field of ['error', 'worker', 'trackingRunId'] as const) {
    if (step[field] !== undefined && typeof step[field] !== 'string') throw invalidParameter(`Invalid value for '${where}.${field}': expected a string.`)
  }
  if (step.startedAt !== undefined) checkTime(step.startedAt, `${where}.startedAt`)
  if (step.finishedAt !== undefined) checkTime(step.finishedAt, `${where}.finishedAt`)
  if (!Array.isArray(step.attempts)) throw invalidParameter(`Invalid value for '${where}.attempts': expected a list (empty before the first attempt).`)
}

function checkName(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw invalidParameter(`Missing value for '${field}': expected a non-empty string.`)
}

function checkObject(value: unknown, field: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameter(`Invalid value for '${field}': expected a JSON object of values by name.`)
  }
}

function checkTime(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidParameter(`Invalid value ${String(value)} for '${field}': expected epoch milliseconds.`)
  }
}

function checkRunStatus(status: unknown, field: string): void {
  if (typeof status !== 'string' || !RUN_STATUS_SET.has(status)) {
    throw invalidParameter(`Invalid value '${String(status)}' for '${field}': use one of ${RUN_STATUSES.join(', ')}.`)
  }
}

function checkStepStatus(status: unknown, field: string): void {
  if (typeof status !== 'string' || !STEP_STATUS_SET.has(status)) {
    throw invalidParameter(`Invalid value '${String(status)}' for '${field}': use one of ${STEP_STATUSES.join(', ')}.`)
  }
}

function noRun(id: string): Error {
  return notFound(`No pipeline run '${id}'; list runs with \`keel pipeline list\`.`)
}
