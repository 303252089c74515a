import type { Migration } from '../../sql/migrate.js'

/**
 * Durable pipeline run state: one row per run, one per (run, step) and an append-only log. Step outputs,
 * params and attempts are JSON (small values and artifact references, never bulk data). `position` keeps
 * the steps in definition order. Cache lookups read only succeeded steps, hence the partial index; runs are
 * listed newest first, per pipeline or overall.
 */
export const pipelines: Migration = {
  id: 5,
  name: 'pipelines',
  sql: `
CREATE TABLE pipeline_runs (
  id TEXT NOT NULL PRIMARY KEY,
  pipeline TEXT NOT NULL,
  definition_digest TEXT NOT NULL,
  params_json TEXT NOT NULL,
  status TEXT NOT NULL,
  tracking_run_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX pipeline_runs_created ON pipeline_runs (created_at, id);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline, created_at, id);
CREATE TABLE pipeline_steps (
  run_id TEXT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  position INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  cache_key TEXT NOT NULL,
  cache_reason TEXT NOT NULL,
  outputs_json TEXT,
  error TEXT,
  worker TEXT,
  tracking_run_id TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  attempts_json TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
);
CREATE INDEX pipeline_steps_cache ON pipeline_steps (cache_key, finished_at) WHERE status = 'succeeded';
CREATE TABLE pipeline_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  line TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX pipeline_logs_run ON pipeline_logs (run_id, id);
`,
}
