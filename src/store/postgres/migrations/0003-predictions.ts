import type { Migration } from '../../sql/migrate.js'

/**
 * Captured predictions for monitoring. Text columns collate as "C" so (ts, id) keyset pages and filters
 * compare byte-wise, exactly as on SQLite. `id` is unique so retried batches are ignored. Reads page by
 * (ts, id) within a deployment or a model version, hence the two indexes.
 */
export const predictions: Migration = {
  id: 3,
  name: 'predictions',
  sql: `
CREATE TABLE predictions (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  deployment TEXT COLLATE "C" NOT NULL,
  model TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C" NOT NULL,
  arm TEXT NOT NULL,
  ts BIGINT NOT NULL,
  inputs TEXT NOT NULL,
  outputs TEXT NOT NULL
);
CREATE INDEX predictions_deployment_ts ON predictions (deployment, ts, id);
CREATE INDEX predictions_model_version_ts ON predictions (model, version, ts);
`,
}
