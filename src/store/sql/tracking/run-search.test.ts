import { describe, expect, it } from 'vitest'
import { parseRunFilter } from '../../../tracking/index.js'
import { parseRunOrderBy } from '../../../tracking/validation.js'
import { buildRunSearchSql } from './run-search.js'
import type { RunSearchPlan } from './run-search.js'

const plan = (filter: string | undefined, orderBy: string[] = [], extra: Partial<RunSearchPlan> = {}): RunSearchPlan => ({
  experimentIds: [1, 2],
  clauses: parseRunFilter(filter),
  order: parseRunOrderBy(orderBy),
  viewType: undefined,
  limit: 101,
  offset: 0,
  ...extra,
})

const placeholders = (sql: string): number => (sql.match(/\?/g) ?? []).length

describe('buildRunSearchSql', () => {
  it('binds exactly one parameter per placeholder, in order', () => {
    const cases: RunSearchPlan[] = [
      plan(undefined),
      plan("metrics.auc > 0.5 AND params.m = 'x' AND tags.t ILIKE 'a%'", ['metrics.auc DESC'], { split: 'present' }),
      plan("params.m LIKE 'x%' AND datasets.context = 'train' AND run_id IN ('a', 'b')", ['tags.t', 'metrics.loss ASC'], { split: 'absent' }),
      plan('attributes.start_time > 1.5', ['params.p DESC', 'attributes.end_time']),
    ]
    for (const c of cases) {
      const query = buildRunSearchSql('postgres', c)
      expect(placeholders(query.sql), query.sql).toBe(query.params.length)
      expect(query.params.slice(-2)).toEqual([101, 0])
    }
    const query = buildRunSearchSql('sqlite', cases[1]!)
    expect(query.params).toEqual(['m', 't', 'auc', 1, 2, 1, 2, 0.5, 'x', 'a%', 101, 0])
  })

  it('drives a split search from the ordered key and sorts by its values without NULLS LAST', () => {
    const { sql } = buildRunSearchSql('sqlite', plan('metrics.auc > 0.5', ['metrics.auc DESC'], { split: 'present' }))
    expect(sql).toContain('FROM latest_metrics j0 CROSS JOIN runs r')
    expect(sql).toContain('j0.experiment_id IN (?, ?)')
    expect(sql).toContain('j0.value IS NOT NULL')
    expect(sql).toContain('ORDER BY j0.value DESC, r.start_time DESC, r.run_id ASC')
  })

  it('lets the planner start from runs when run ids are filtered', () => {
    const { sql } = buildRunSearchSql('sqlite', plan("run_id = 'abc'", ['metrics.auc DESC'], { split: 'present' }))
    expect(sql).toContain('FROM runs r JOIN latest_metrics j0')
  })

  it('selects the runs without the ordered key in the absent part', () => {
    const { sql, params } = buildRunSearchSql('sqlite', plan(undefined, ['metrics.auc DESC', 'params.p'], { split: 'absent' }))
    expect(sql).toContain('NOT EXISTS (SELECT 1 FROM latest_metrics x WHERE x.run_id = r.run_id AND x.key = ? AND x.value IS NOT NULL)')
    expect(sql).toContain('ORDER BY j0.value ASC NULLS LAST, r.start_time DESC')
    expect(params).toContain('auc')
  })

  it('left-joins keys used only for ordering and inner-joins filtered keys once', () => {
    const { sql } = buildRunSearchSql('sqlite', plan('metrics.a > 1 AND metrics.a < 5', ['params.p', 'metrics.a']))
    expect(sql.match(/JOIN latest_metrics/g)).toHaveLength(1)
    expect(sql).toContain('LEFT JOIN params j1')
    expect(sql).toContain('ORDER BY j1.value ASC NULLS LAST, j0.value ASC NULLS LAST')
  })
})
