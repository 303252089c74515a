import type { Migration } from '../../sql/migrate.js'

/**
 * The model registry. Models have a surrogate key so a rename is one row update and alias history
 * (append-only, no foreign key) never mixes a deleted model with a new one of the same name;
 * AUTOINCREMENT keeps SQLite from reusing those keys. `next_version` is the per-model counter that
 * numbers versions under the write lock, so numbers are never duplicated nor reused after a delete.
 * No foreign key points at tracking tables: a version's run may live on another server.
 */
export const registry: Migration = {
  id: 2,
  name: 'registry',
  sql: `
CREATE TABLE registered_models (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL,
  next_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX registered_models_updated ON registered_models (last_updated_timestamp);
CREATE TABLE registered_model_tags (
  model_key INTEGER NOT NULL REFERENCES registered_models (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_key, key)
);
CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model_key INTEGER NOT NULL REFERENCES registered_models (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  current_stage TEXT NOT NULL DEFAULT 'None',
  source TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  run_link TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'READY',
  status_message TEXT NOT NULL DEFAULT '',
  model_id TEXT NOT NULL DEFAULT '',
  lineage TEXT NOT NULL DEFAULT '{}',
  UNIQUE (model_key, version)
);
CREATE INDEX model_versions_run_id ON model_versions (run_id);
CREATE INDEX model_versions_updated ON model_versions (last_updated_timestamp);
CREATE TABLE model_version_tags (
  version_key INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (version_key, key)
);
CREATE TABLE registered_model_aliases (
  model_key INTEGER NOT NULL REFERENCES registered_models (id) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  version_key INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  PRIMARY KEY (model_key, alias)
);
CREATE INDEX registered_model_aliases_version ON registered_model_aliases (version_key);
CREATE TABLE alias_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model_key INTEGER NOT NULL,
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER,
  moved_at INTEGER NOT NULL,
  moved_by TEXT NOT NULL
);
CREATE INDEX alias_history_model ON alias_history (model_key, alias, id);
CREATE TABLE registry_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL
);
CREATE TABLE webhook_events (
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  PRIMARY KEY (webhook_id, event_type)
);
CREATE INDEX webhook_events_type ON webhook_events (event_type);
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id INTEGER NOT NULL REFERENCES registry_events (id),
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
`,
}
