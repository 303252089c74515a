import type { Migration } from '../../sql/migrate.js'

/**
 * What monitoring learns after serving: true outcomes (one per prediction id, so nothing is counted twice)
 * and fired alerts. `outcome` is JSON so a class "1" and a regression target 1 stay distinct. Alerts are read
 * by time window and by (rule, model) for cooldowns, hence the two indexes.
 */
export const monitoring: Migration = {
  id: 4,
  name: 'monitoring',
  sql: `
CREATE TABLE feedback (
  prediction_id TEXT NOT NULL PRIMARY KEY,
  outcome TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE TABLE alerts (
  id TEXT NOT NULL PRIMARY KEY,
  rule TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL,
  threshold REAL,
  severity TEXT NOT NULL,
  window_json TEXT NOT NULL,
  fired_at INTEGER NOT NULL
);
CREATE INDEX alerts_fired_at ON alerts (fired_at, id);
CREATE INDEX alerts_rule_model ON alerts (rule, model, fired_at);
`,
}
