import type { Migration } from '../../sql/migrate.js'

/**
 * What monitoring learns after serving: true outcomes (one per prediction id, so nothing is counted twice)
 * and fired alerts. `outcome` is JSON so a class "1" and a regression target 1 stay distinct. Text keys
 * collate as "C" so keyset pages compare byte-wise, exactly as on SQLite. Alerts are read by time window and
 * by (rule, model) for cooldowns, hence the two indexes.
 */
export const monitoring: Migration = {
  id: 4,
  name: 'monitoring',
  sql: `
CREATE TABLE feedback (
  prediction_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  outcome TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE TABLE alerts (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  rule TEXT COLLATE "C" NOT NULL,
  model TEXT COLLATE "C" NOT NULL,
  version TEXT NOT NULL,
  metric TEXT NOT NULL,
  value DOUBLE PRECISION,
  threshold DOUBLE PRECISION,
  severity TEXT NOT NULL,
  window_json TEXT NOT NULL,
  fired_at BIGINT NOT NULL
);
CREATE INDEX alerts_fired_at ON alerts (fired_at, id);
CREATE INDEX alerts_rule_model ON alerts (rule, model, fired_at);
`,
}
