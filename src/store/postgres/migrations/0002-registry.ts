import type { Migration } from '../../sql/migrate.js'

export const registry: Migration = {
  id: 2,
  name: 'registry',
  sql: `
CREATE TABLE IF NOT EXISTS keel_placeholder_registry (id INTEGER PRIMARY KEY);
`,
}
