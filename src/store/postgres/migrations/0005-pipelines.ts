import type { Migration } from '../../sql/migrate.js'

/**
 * Durable pipeline run state: one row per run, one per (run, step) and an append-only log. Step outputs,
 * params and attempts are JSON text (read back byte for byte, as on SQLite). `position` keeps the steps in
 * definition order; the log's identity column keeps append order. Text keys collate as "C" so ties order
 * byte-wise, exactly as on SQLite. Cache lookups read only succeeded steps, hence the partial index.
 */
export const pipelines: Migration = {
  id: 5,
  name: 'pipelines',
  sql: `
CREATE TABLE pipeline_runs (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  pipeline TEXT COLLATE "C" NOT NULL,
  definition_digest TEXT NOT NULL,
  params_json TEXT NOT NULL,
  status TEXT NOT NULL,
  tracking_run_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  error TEXT
);
CREATE INDEX pipeline_runs_created ON pipeline_runs (created_at, id);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline, created_at, id);
CREATE TABLE pipeline_steps (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
  step TEXT COLLATE "C" NOT NULL,
  position INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  cache_key TEXT COLLATE "C" NOT NULL,
  cache_reason TEXT NOT NULL,
  outputs_json TEXT,
  error TEXT,
  worker TEXT,
  tracking_run_id TEXT,
  started_at BIGINT,
  finished_at BIGINT,
  attempts_json TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
);
CREATE INDEX pipeline_steps_cache ON pipeline_steps (cache_key, finished_at) WHERE status = 'succeeded';
CREATE TABLE pipeline_logs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id TEXT COLLATE "C" NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  line TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX pipeline_logs_run ON pipeline_logs (run_id, id);
`,
}
