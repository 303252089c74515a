import type { Migration } from '../../sql/migrate.js'

/**
 * Captured predictions for monitoring. A rowid table (not WITHOUT ROWID) so appends land at the end of
 * the b-tree whatever the ids look like; `id` is the caller-visible key, unique so retried batches are
 * ignored. Reads page by (ts, id) within a deployment or a model version, hence the two indexes.
 */
export const predictions: Migration = {
  id: 3,
  name: 'predictions',
  sql: `
CREATE TABLE predictions (
  id TEXT NOT NULL PRIMARY KEY,
  deployment TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  arm TEXT NOT NULL,
  ts INTEGER NOT NULL,
  inputs TEXT NOT NULL,
  outputs TEXT NOT NULL
);
CREATE INDEX predictions_deployment_ts ON predictions (deployment, ts, id);
CREATE INDEX predictions_model_version_ts ON predictions (model, version, ts);
`,
}
