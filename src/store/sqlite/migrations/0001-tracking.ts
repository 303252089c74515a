import type { Migration } from '../../sql/migrate.js'

/**
 * Tracking schema. Metric history is stored as packed blocks (`metric_blocks.data`: n steps, n timestamps,
 * n values as little-endian float64), not a row per point; `latest_metrics` keeps the latest point per key
 * for `runs/get` and search (with the run's experiment id copied in, so ordering by a metric within an
 * experiment walks one index range). Small keyed tables are WITHOUT ROWID: one B-tree per lookup.
 * NaN never goes into a REAL column (SQLite would store NULL): `latest_metrics` holds value NULL with
 * is_nan = 1. Experiment 0 (Default) always exists.
 */
export const tracking: Migration = {
  id: 1,
  name: 'tracking',
  sql: `
CREATE TABLE experiments (
  experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL,
  deleted_time INTEGER,
  CONSTRAINT experiments_name_key UNIQUE (name)
);
INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
CREATE INDEX experiments_deleted ON experiments (lifecycle_stage, deleted_time);
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;
CREATE TABLE runs (
  run_id TEXT NOT NULL PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  artifact_uri TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  deleted_time INTEGER
) WITHOUT ROWID;
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time DESC, run_id);
CREATE INDEX runs_deleted ON runs (lifecycle_stage, deleted_time);
CREATE TABLE run_tags (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX run_tags_key_value ON run_tags (key, value);
CREATE TABLE params (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key_value ON params (key, value);
CREATE TABLE latest_metrics (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  experiment_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  value REAL,
  timestamp INTEGER NOT NULL,
  step INTEGER NOT NULL,
  is_nan INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_search ON latest_metrics (experiment_id, key, value);
CREATE TABLE metric_blocks (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  block_no INTEGER NOT NULL,
  n INTEGER NOT NULL,
  min_step INTEGER NOT NULL,
  max_step INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, key, block_no)
);
CREATE TABLE datasets (
  dataset_id TEXT NOT NULL PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source TEXT NOT NULL,
  dataset_schema TEXT,
  dataset_profile TEXT,
  CONSTRAINT datasets_identity UNIQUE (experiment_id, name, digest)
);
CREATE TABLE run_inputs (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  dataset_id TEXT NOT NULL REFERENCES datasets (dataset_id) ON DELETE CASCADE,
  PRIMARY KEY (run_id, dataset_id)
) WITHOUT ROWID;
CREATE INDEX run_inputs_dataset ON run_inputs (dataset_id);
CREATE TABLE run_input_tags (
  run_id TEXT NOT NULL,
  dataset_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, dataset_id, key),
  FOREIGN KEY (run_id, dataset_id) REFERENCES run_inputs (run_id, dataset_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE run_model_inputs (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  PRIMARY KEY (run_id, model_id)
) WITHOUT ROWID;
CREATE TABLE run_model_outputs (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  PRIMARY KEY (run_id, model_id, step)
) WITHOUT ROWID;
CREATE TABLE logged_models (
  model_id TEXT NOT NULL PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  artifact_uri TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  model_type TEXT NOT NULL,
  source_run_id TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  deleted_time INTEGER
);
CREATE INDEX logged_models_experiment ON logged_models (experiment_id, creation_time DESC, model_id);
CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;
CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;
`,
}
