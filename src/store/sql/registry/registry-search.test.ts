import { describe, expect, it } from 'vitest'
import { encodePageToken } from '../../../core/page.js'
import { modelSearchSql, pageOffset, versionSearchSql } from './registry-search.js'

describe('modelSearchSql', () => {
  it('builds tag EXISTS clauses and dialect-specific ILIKE', () => {
    const sqlite = modelSearchSql('sqlite', "name ILIKE 'f%' AND tags.team = 'risk'", ['last_updated_timestamp DESC'])
    expect(sqlite.where).toBe(
      "lower(m.name) LIKE lower(?) ESCAPE '\\' AND EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.model_key = m.id AND t.key = ? AND t.value = ?)",
    )
    expect(sqlite.params).toEqual(['f%', 'team', 'risk'])
    expect(sqlite.orderBy).toBe('m.last_updated_timestamp DESC, m.name ASC')
    expect(modelSearchSql('postgres', "name ILIKE 'f%'", undefined).where).toBe('m.name ILIKE ?')
    expect(modelSearchSql('postgres', undefined, undefined)).toEqual({ where: '1 = 1', params: [], orderBy: 'm.name ASC' })
  })

  it('names the allowed fields in its errors', () => {
    expect(() => modelSearchSql('sqlite', "run_id = 'x'", undefined)).toThrow(/name and tags/)
    expect(() => modelSearchSql('sqlite', "tags.k IN ('a')", undefined)).toThrow(/= != LIKE ILIKE/)
    expect(() => modelSearchSql('sqlite', undefined, ['params.lr'])).toThrow(/name, timestamp, last_updated_timestamp, creation_timestamp/)
  })
})

describe('versionSearchSql', () => {
  it('uses MLflow default order and always ends on name and version', () => {
    expect(versionSearchSql('sqlite', undefined, undefined).orderBy).toBe('v.last_updated_timestamp DESC, m.name ASC, v.version DESC')
    expect(versionSearchSql('sqlite', undefined, ['creation_timestamp']).orderBy).toBe(
      'v.creation_timestamp ASC, m.name ASC, v.version DESC',
    )
  })

  it('supports run_id IN and numeric version comparisons', () => {
    const sql = versionSearchSql('postgres', "run_id IN ('a', 'b') AND version_number >= 2 AND version_number != '3'", undefined)
    expect(sql.where).toBe('v.run_id IN (?, ?) AND v.version >= ? AND v.version <> ?')
    expect(sql.params).toEqual(['a', 'b', 2, 3])
  })
})

describe('pageOffset', () => {
  it('reads our offsets and refuses one PostgreSQL could not bind as bigint, as a caller error', () => {
    expect(pageOffset(undefined)).toBe(0)
    expect(pageOffset(encodePageToken({ offset: 40 }))).toBe(40)
    expect(pageOffset(encodePageToken({ offset: Number.MAX_SAFE_INTEGER }))).toBe(Number.MAX_SAFE_INTEGER)
    const tooFar = encodePageToken({ offset: 2 ** 60 })
    expect(() => pageOffset(tooFar)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/offset is out of range/) }),
    )
  })
})
