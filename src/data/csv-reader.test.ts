import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { cellValue, type Frame } from '../core/frame.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { readCsv } from './csv-reader.js'

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/data')
interface PandasColumn {
  name: string
  dtype: string
  values: Array<number | string | null>
}
const pandas = JSON.parse(readFileSync(join(FIXTURE, 'mixed.pandas.json'), 'utf8')) as { rows: number; columns: PandasColumn[] }

const dirs: Array<{ remove: () => void }> = []
afterEach(() => dirs.splice(0).forEach((d) => d.remove()))
function writeTemp(name: string, text: string): string {
  const dir = tempDir('keel-csv-')
  dirs.push(dir)
  const path = join(dir.path, name)
  writeFileSync(path, text)
  return path
}

function values(frame: Frame, name: string): Array<number | string | null> {
  const column = frame.column(name)
  return Array.from({ length: frame.rows }, (_, i) => cellValue(column, i))
}

describe('readCsv against pandas.read_csv (test/fixtures/data/mixed.csv)', () => {
  it('reads every value, kind and missing cell the way pandas does', async () => {
    const frame = await readCsv(join(FIXTURE, 'mixed.csv'))
    expect(frame.rows).toBe(pandas.rows)
    expect(frame.names).toEqual(pandas.columns.map((c) => c.name))
    for (const expected of pandas.columns) {
      const column = frame.column(expected.name)
      const kind = expected.dtype === 'object' && expected.values.some((v) => typeof v === 'string') ? 'categorical' : 'numeric'
      expect(column.kind, expected.name).toBe(kind)
      if (expected.dtype.startsWith('datetime')) expect(column.kind === 'numeric' && column.dtype).toBe('datetime')
      if (expected.dtype === 'bool') expect(column.kind === 'numeric' && column.dtype).toBe('bool')
      expect(values(frame, expected.name), expected.name).toEqual(expected.values)
    }
  })

  it('gives the same frame whatever the chunk boundaries or source (path, tiny chunks, Readable)', async () => {
    const whole = await readCsv(join(FIXTURE, 'mixed.csv'))
    const text = readFileSync(join(FIXTURE, 'mixed.csv'))
    for (const chunkSize of [1, 3, 7, 64]) {
      const chunked = await readCsv(join(FIXTURE, 'mixed.csv'), { chunkSize })
      expect(chunked.toRecords(), `chunkSize ${chunkSize}`).toEqual(whole.toRecords())
    }
    const pieces: Buffer[] = []
    for (let i = 0; i < text.length; i += 13) pieces.push(text.subarray(i, i + 13))
    const streamed = await readCsv(Readable.from(pieces))
    expect(streamed.toRecords()).toEqual(whole.toRecords())
  })
})

describe('readCsv options', () => {
  it('applies schema overrides, a column subset in the asked order, and custom missing markers', async () => {
    const path = writeTemp('a.csv', 'a,b,c,d\n1,x,2024-01-02,7\n2,y,2024-01-03,-\n3,,2024-01-04,9\n')
    const frame = await readCsv(path, { schema: { a: 'category', c: 'datetime' }, columns: ['d', 'c', 'a'], missing: ['-'] })
    expect(frame.names).toEqual(['d', 'c', 'a'])
    expect(values(frame, 'a')).toEqual(['1', '2', '3'])
    expect(values(frame, 'c')).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3), Date.UTC(2024, 0, 4)])
    expect(values(frame, 'd')).toEqual([7, null, 9])
    const defaults = await readCsv(path)
    expect(values(defaults, 'b')).toEqual(['x', 'y', null])
    expect(defaults.column('d').kind).toBe('categorical')
  })

  it('reads TSV, headerless files, CRLF line ends, a BOM, blank lines and short rows', async () => {
    const tsv = writeTemp('a.tsv', '\uFEFFx\ty\r\n1\t"a\tb"\r\n\r\n2\r\n')
    const frame = await readCsv(tsv, { delimiter: '\t' })
    expect(frame.names).toEqual(['x', 'y'])
    expect(frame.toRecords()).toEqual([{ x: 1, y: 'a\tb' }, { x: 2, y: null }])
    for (const chunkSize of [1, 2, 3, 5]) {
      const chunked = await readCsv(tsv, { delimiter: '\t', chunkSize })
      expect(chunked.toRecords(), `chunkSize ${chunkSize}`).toEqual(frame.toRecords())
    }
    const headerless = await readCsv(writeTemp('b.csv', '1,2\n3,4'), { header: false })
    expect(headerless.toRecords()).toEqual([{ column_1: 1, column_2: 2 }, { column_1: 3, column_2: 4 }])
  })

  it('detects booleans and ints, and upgrades an int column that later meets a fraction', async () => {
    const frame = await readCsv(writeTemp('a.csv', 'b,n\nTrue,1\nfalse,2\nTRUE,3.5\n'), { inferRows: 2 })
    const b = frame.column('b')
    const n = frame.column('n')
    expect(b.kind === 'numeric' && b.dtype).toBe('bool')
    expect(values(frame, 'b')).toEqual([1, 0, 1])
    expect(n.kind === 'numeric' && n.dtype).toBe('float')
    expect(values(frame, 'n')).toEqual([1, 2, 3.5])
  })

  it('names the column, row and value of a late type conflict, or converts it when asked', async () => {
    const path = writeTemp('a.csv', 'id,amount\n1,1.50\n2,2\n3,abc\n4,4\n')
    await expect(readCsv(path, { inferRows: 2 })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/Column 'amount'.*data row 3.*'abc'.*schema: \{ 'amount': 'category' \}/s),
    })
    const converted = await readCsv(path, { inferRows: 2, onTypeConflict: 'categorical' })
    expect(converted.column('amount').kind).toBe('categorical')
    expect(values(converted, 'amount')).toEqual(['1.5', '2', 'abc', '4'])
    // A column with no values in the sample has no evidence to contradict: it silently becomes categorical.
    const sparse = await readCsv(writeTemp('b.csv', 'a,b\n1,\n2,\n3,x\n'), { inferRows: 2 })
    expect(values(sparse, 'b')).toEqual([null, null, 'x'])
  })

  it('rejects a value that contradicts a declared type, naming the fix', async () => {
    const path = writeTemp('a.csv', 'a\n1\nx\n')
    await expect(readCsv(path, { schema: { a: 'float' } })).rejects.toThrow(/Column 'a' is declared 'float'.*row 2.*'x'/)
  })

  it('reports malformed input clearly', async () => {
    await expect(readCsv(writeTemp('a.csv', 'a,b\n1,"unterminated\n'))).rejects.toThrow(/quoted field that is never closed/)
    await expect(readCsv(writeTemp('b.csv', 'a,b\n1,2,3\n'))).rejects.toThrow(/data row 1 has 3 fields but the header has 2/)
    await expect(readCsv(writeTemp('c.csv', 'a,b\n"x"y,2\n'))).rejects.toThrow(/text after the closing quote/)
    await expect(readCsv(writeTemp('d.csv', 'a,b\n1,2\n'), { columns: ['a', 'zz'] })).rejects.toThrow(/columns names 'zz'.*Columns: a, b/)
    await expect(readCsv(writeTemp('e.csv', 'a\n1\n'), { schema: { a: 'decimal' as never } })).rejects.toThrow(/schema.a is 'decimal'/)
    await expect(readCsv(writeTemp('f.csv', ''))).rejects.toThrow(/empty/)
    await expect(readCsv('/nonexistent/file.csv')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
  })

  it('reads every spelling of a number the same as Number(), on the fast path and off it', async () => {
    const cells = ['1', ' 2', '3 ', '-0', '+4.5', '.5', '6.', '1e3', '1E-3', '-inf', 'Infinity', '123456789012345678901234', '0.1000000000000000055511151231257827', '9007199254740993', '1.7976931348623157e308', '5e-324', '']
    const text = 'a,b\r\n' + cells.map((c, i) => `${c},${i}`).join('\r\n')
    for (const chunkSize of [4, 1 << 20]) {
      const frame = await readCsv(writeTemp(`n${chunkSize}.csv`, text), { chunkSize })
      expect(values(frame, 'a')).toEqual(cells.map((c) => (c === '' ? null : c.trim().toLowerCase() === '-inf' ? -Infinity : Number(c))))
      expect(values(frame, 'b')).toEqual(cells.map((_, i) => i))
    }
  })

  it('grows its columns when the size is unknown (a stream) and keeps every value', async () => {
    const lines = ['i,half,tag']
    for (let i = 0; i < 5000; i++) lines.push(`${i},${i / 2},t${i % 3}`)
    const frame = await readCsv(Readable.from([Buffer.from(lines.join('\n'))]), { inferRows: 10 })
    expect(frame.rows).toBe(5000)
    expect(values(frame, 'half').every((v, i) => v === i / 2)).toBe(true)
    expect(values(frame, 'tag').every((v, i) => v === `t${i % 3}`)).toBe(true)
  })

  it('reports progress up to the file size and the final row count', async () => {
    const lines = ['x,y']
    for (let i = 0; i < 5000; i++) lines.push(`${i},${i * 0.5}`)
    const text = lines.join('\n') + '\n'
    const path = writeTemp('a.csv', text)
    const seen: Array<{ bytes: number; totalBytes: number | undefined; rows: number }> = []
    const frame = await readCsv(path, { chunkSize: 4096, inferRows: 100, onProgress: (p) => seen.push({ ...p }) })
    expect(frame.rows).toBe(5000)
    expect(seen.length).toBeGreaterThan(5)
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes)
      expect(seen[i]!.rows).toBeGreaterThanOrEqual(seen[i - 1]!.rows)
    }
    expect(seen.at(-1)).toEqual({ bytes: Buffer.byteLength(text), totalBytes: Buffer.byteLength(text), rows: 5000 })
  })
})
