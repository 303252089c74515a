import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { readJsonLines } from './jsonl-reader.js'

const dirs: Array<{ remove: () => void }> = []
afterEach(() => dirs.splice(0).forEach((d) => d.remove()))
function writeTemp(name: string, text: string): string {
  const dir = tempDir('keel-jsonl-')
  dirs.push(dir)
  const path = join(dir.path, name)
  writeFileSync(path, text)
  return path
}

const LINES = [
  { id: 1, amount: 1.5, ok: true, country: 'FR', ts: '2024-01-02T03:04:05Z' },
  { id: 2, amount: null, ok: false, country: 'DE', ts: '2024-01-03' },
  { id: 3, amount: 2, country: 'NA', ts: null, extra: 'x' },
]

describe('readJsonLines', () => {
  it('infers numbers, booleans, categories and dates, with missing values from null, absent keys and markers', async () => {
    const path = writeTemp('a.jsonl', LINES.map((l) => JSON.stringify(l)).join('\n') + '\n\n')
    const frame = await readJsonLines(path)
    expect(frame.names).toEqual(['id', 'amount', 'ok', 'country', 'ts', 'extra'])
    const kinds = frame.columns.map((c) => (c.kind === 'numeric' ? c.dtype : 'category'))
    expect(kinds).toEqual(['int', 'float', 'bool', 'category', 'datetime', 'category'])
    expect(frame.toRecords()).toEqual([
      { id: 1, amount: 1.5, ok: 1, country: 'FR', ts: Date.UTC(2024, 0, 2, 3, 4, 5), extra: null },
      { id: 2, amount: null, ok: 0, country: 'DE', ts: Date.UTC(2024, 0, 3), extra: null },
      { id: 3, amount: 2, ok: null, country: null, ts: null, extra: 'x' },
    ])
  })

  it('applies overrides and column subsets, and reads a stream split mid-line', async () => {
    const text = LINES.map((l) => JSON.stringify(l)).join('\n')
    const pieces = [text.slice(0, 17), text.slice(17, 50), text.slice(50)]
    const frame = await readJsonLines(Readable.from(pieces), { columns: ['country', 'id'], schema: { id: 'category' }, missing: [] })
    expect(frame.toRecords()).toEqual([
      { country: 'FR', id: '1' },
      { country: 'DE', id: '2' },
      { country: 'NA', id: '3' },
    ])
  })

  it('names the column, row and value of a late type conflict, or converts on request', async () => {
    const path = writeTemp('a.jsonl', '{"a":1}\n{"a":2}\n{"a":"three"}\n')
    await expect(readJsonLines(path, { inferRows: 2 })).rejects.toThrow(/Column 'a'.*data row 3.*'three'/)
    const frame = await readJsonLines(path, { inferRows: 2, onTypeConflict: 'categorical' })
    expect(frame.toRecords()).toEqual([{ a: '1' }, { a: '2' }, { a: 'three' }])
  })

  it('rejects lines that are not objects and nested values', async () => {
    await expect(readJsonLines(writeTemp('a.jsonl', '{"a":1}\n[1]\n'))).rejects.toThrow(/line 2 is not a JSON object/)
    await expect(readJsonLines(writeTemp('b.jsonl', '{"a":1}\n{"a":\n'))).rejects.toThrow(/line 2 is not valid JSON/)
    await expect(readJsonLines(writeTemp('c.jsonl', '{"a":{"b":1}}\n'))).rejects.toThrow(/Column 'a' holds a nested object; flatten/)
  })
})

describe('readDataset', () => {
  it('picks the reader by extension', async () => {
    const { readDataset } = await import('./read-dataset.js')
    expect((await readDataset(writeTemp('a.ndjson', '{"a":1}\n{"a":2}\n'))).toRecords()).toEqual([{ a: 1 }, { a: 2 }])
    expect((await readDataset(writeTemp('a.tsv', 'a\tb\n1\tx,y\n'))).toRecords()).toEqual([{ a: 1, b: 'x,y' }])
    expect((await readDataset(writeTemp('a.csv', 'a;b\n1;2\n'), { delimiter: ';' })).toRecords()).toEqual([{ a: 1, b: 2 }])
  })
})
