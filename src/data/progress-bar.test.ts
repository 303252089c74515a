import { describe, expect, it } from 'vitest'
import { progressBar } from './progress-bar.js'

function fakeStream(isTTY: boolean): { isTTY: boolean; columns: number; output: string[]; write: (t: string) => boolean } {
  const output: string[] = []
  return { isTTY, columns: 80, output, write: (t: string) => output.push(t) > 0 }
}

describe('progressBar', () => {
  it('draws in place on a terminal, once per percent, and ends the line', () => {
    const stream = fakeStream(true)
    const bar = progressBar(stream, 'fraud.csv')
    bar({ bytes: 0, totalBytes: 1000, rows: 0 })
    bar({ bytes: 1, totalBytes: 1000, rows: 10 })
    bar({ bytes: 500, totalBytes: 1000, rows: 1234 })
    bar({ bytes: 1000, totalBytes: 1000, rows: 2468 })
    bar.done()
    expect(stream.output).toHaveLength(4)
    expect(stream.output[1]).toMatch(/^\rfraud\.csv \[#+ +\]  50%  1,234 rows/)
    expect(stream.output[2]).toMatch(/\[#+\] 100%  2,468 rows/)
    expect(stream.output[3]).toBe('\n')
  })

  it('writes nothing when the stream is not a terminal', () => {
    const stream = fakeStream(false)
    const bar = progressBar(stream)
    bar({ bytes: 10, totalBytes: 100, rows: 1 })
    bar.done()
    expect(stream.output).toEqual([])
  })

  it('counts rows when the size is unknown', () => {
    const stream = fakeStream(true)
    const bar = progressBar(stream, 'stdin')
    bar({ bytes: 10, totalBytes: undefined, rows: 250_000 })
    expect(stream.output).toEqual(['\rstdin 250,000 rows\x1b[K'])
  })
})
