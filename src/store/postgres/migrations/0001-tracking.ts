import type { Migration } from '../../sql/migrate.js'

export const tracking: Migration = {
  id: 1,
  name: 'tracking',
  sql: `
CREATE TABLE IF NOT EXISTS keel_placeholder_tracking (id INTEGER PRIMARY KEY);
`,
}
