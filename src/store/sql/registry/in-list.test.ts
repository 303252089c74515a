import { describe, expect, it } from 'vitest'
import { chunked, inList } from './in-list.js'

describe('inList', () => {
  it('pads to a power of two (at least 8) by repeating the last value', () => {
    expect(inList([1, 2, 3])).toEqual({ sql: '(?, ?, ?, ?, ?, ?, ?, ?)', params: [1, 2, 3, 3, 3, 3, 3, 3] })
    expect(inList(Array.from({ length: 9 }, (_, i) => i)).params).toHaveLength(16)
    expect(inList(Array.from({ length: 16 }, (_, i) => i)).params).toHaveLength(16)
    expect(() => inList([])).toThrow()
  })

  it('keeps the number of distinct statements small', () => {
    const shapes = new Set(Array.from({ length: 1024 }, (_, i) => inList(Array.from({ length: i + 1 }, () => 0)).sql))
    expect(shapes.size).toBe(8) // 8, 16, ..., 1024
  })

  it('chunks long lists', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunked([], 2)).toEqual([])
  })
})
