import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { readCsv } from './csv-reader.js'
import { datasetDigest } from './dataset-digest.js'
import { readDataset } from './read-dataset.js'
import { readParquet } from './parquet-reader.js'

const dirs: Array<{ remove: () => void }> = []
afterEach(() => dirs.splice(0).forEach((d) => d.remove()))
function dir(): string {
  const d = tempDir('keel-parquet-')
  dirs.push(d)
  return d.path
}

const ROWS = {
  amount: [1.25, null, -3, 1e-7],
  count: [1n, 2n, null, 4n],
  ok: [true, false, null, true],
  country: ['FR', null, 'DE', 'FR'],
  ts: [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(Date.UTC(2024, 0, 3)), null, new Date(0)],
}

function writeTwins(path: string): { parquet: string; csv: string } {
  const parquet = join(path, 'data.parquet')
  writeFileSync(
    parquet,
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'amount', data: ROWS.amount, type: 'DOUBLE' },
          { name: 'count', data: ROWS.count, type: 'INT64' },
          { name: 'ok', data: ROWS.ok, type: 'BOOLEAN' },
          { name: 'country', data: ROWS.country, type: 'STRING' },
          { name: 'ts', data: ROWS.ts, type: 'TIMESTAMP' },
        ],
      }),
    ),
  )
  // The same content as CSV, with categories appearing in a different order (DE first).
  const csv = join(path, 'data.csv')
  const lines = ['amount,count,ok,country,ts', '1.25,1,true,FR,2024-01-02T03:04:05Z', ',2,false,,2024-01-03', '-3,,,DE,', '1e-7,4,true,FR,1970-01-01']
  writeFileSync(csv, lines.join('\n'))
  return { parquet, csv }
}

describe('readParquet', () => {
  it('maps Parquet types to frame columns with nulls as missing', async () => {
    const { parquet } = writeTwins(dir())
    const frame = await readParquet(parquet)
    expect(frame.columns.map((c) => (c.kind === 'numeric' ? c.dtype : 'category'))).toEqual(['float', 'int', 'bool', 'category', 'datetime'])
    expect(frame.toRecords()).toEqual([
      { amount: 1.25, count: 1, ok: 1, country: 'FR', ts: Date.UTC(2024, 0, 2, 3, 4, 5) },
      { amount: null, count: 2, ok: 0, country: null, ts: Date.UTC(2024, 0, 3) },
      { amount: -3, count: null, ok: null, country: 'DE', ts: null },
      { amount: 1e-7, count: 4, ok: 1, country: 'FR', ts: 0 },
    ])
  })

  it('reads a subset with overrides and reports progress', async () => {
    const { parquet } = writeTwins(dir())
    const seen: number[] = []
    const frame = await readParquet(parquet, { columns: ['count', 'country'], schema: { count: 'category' }, onProgress: (p) => seen.push(p.rows) })
    expect(frame.toRecords()).toEqual([
      { count: '1', country: 'FR' },
      { count: '2', country: null },
      { count: null, country: 'DE' },
      { count: '4', country: 'FR' },
    ])
    expect(seen.at(-1)).toBe(4)
  })

  it('gives the CSV and its Parquet twin the same digest, through readDataset', async () => {
    const { parquet, csv } = writeTwins(dir())
    const fromParquet = await readDataset(parquet)
    const fromCsv = await readDataset(csv)
    expect(fromCsv.column('country').kind === 'categorical' && fromCsv.column('country')).toMatchObject({ categories: ['FR', 'DE'] })
    expect(datasetDigest(fromCsv)).toBe(datasetDigest(fromParquet))
  })

  it('rejects a file that is not Parquet and a missing file', async () => {
    const path = join(dir(), 'bad.parquet')
    writeFileSync(path, 'not parquet at all')
    await expect(readParquet(path)).rejects.toThrow(/not a readable Parquet file/)
    await expect(readParquet(join(dir(), 'none.parquet'))).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(readCsv(join(dir(), 'none.csv'))).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(readDataset('data.xlsx')).rejects.toThrow(/extension '.xlsx'/)
  })
})
