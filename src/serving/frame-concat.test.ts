import { describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { concatFrames, sameShape, sliceScores } from './frame-concat.js'

describe('concatFrames', () => {
  it('stacks numeric and categorical columns in order, merging per-request dictionaries', () => {
    const a = new Frame([numericColumn('n', [1, 2], 'int'), categoricalColumn('c', ['x', 'y'])])
    const b = new Frame([numericColumn('n', [Number.NaN]), categoricalColumn('c', ['z'])])
    const c = new Frame([numericColumn('n', [4, 5]), categoricalColumn('c', [null, 'x'])])
    const all = concatFrames([a, b, c])
    expect(all.rows).toBe(5)
    expect(all.names).toEqual(['n', 'c'])
    expect(Array.from(all.numeric('n'))).toEqual([1, 2, Number.NaN, 4, 5])
    expect(all.column('n')).toMatchObject({ dtype: 'int' })
    expect(all.toRecords().map((r) => r['c'])).toEqual(['x', 'y', 'z', null, 'x'])
  })

  it('copies codes as they are when every request shares one dictionary', () => {
    const categories = ['low', 'high']
    const a = new Frame([categoricalColumn('c', ['high'], categories)])
    const b = new Frame([categoricalColumn('c', ['low', 'high'], categories)])
    const all = concatFrames([a, b])
    const column = all.column('c')
    expect(column.kind === 'categorical' && column.categories).toEqual(categories)
    expect(all.toRecords().map((r) => r['c'])).toEqual(['high', 'low', 'high'])
  })

  it('returns a single frame untouched and refuses frames of another shape', () => {
    const a = new Frame([numericColumn('x', [1])])
    expect(concatFrames([a])).toBe(a)
    const renamed = new Frame([numericColumn('y', [1])])
    const recoded = new Frame([categoricalColumn('x', ['1'])])
    expect(sameShape(a, renamed)).toBe(false)
    expect(sameShape(a, recoded)).toBe(false)
    expect(sameShape(a, new Frame([numericColumn('x', [2, 3])]))).toBe(true)
    expect(() => concatFrames([a, renamed])).toThrow(/different columns/)
  })
})

describe('sliceScores', () => {
  it('cuts predictions and rows × classes probabilities per request', () => {
    const scores = { prediction: Float64Array.from([0, 1, 1, 0]), proba: Float64Array.from([0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4]) }
    const [a, b, c] = sliceScores(scores, [1, 2, 1])
    expect(Array.from(a!.prediction)).toEqual([0])
    expect(Array.from(a!.proba!)).toEqual([0.9, 0.1])
    expect(Array.from(b!.prediction)).toEqual([1, 1])
    expect(Array.from(b!.proba!)).toEqual([0.2, 0.8, 0.3, 0.7])
    expect(Array.from(c!.proba!)).toEqual([0.6, 0.4])
    expect(a!.width).toBeUndefined()
  })

  it('cuts multi-column outputs by width', () => {
    const scores = { prediction: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), width: 3 }
    const [a, b] = sliceScores(scores, [2, 1])
    expect(Array.from(a!.prediction)).toEqual([1, 2, 3, 4, 5, 6])
    expect(Array.from(b!.prediction)).toEqual([7, 8, 9])
    expect(b!.width).toBe(3)
  })

  it('refuses an answer of the wrong size', () => {
    expect(() => sliceScores({ prediction: new Float64Array(3) }, [1, 1])).toThrow(/3 predictions for a batch of 2 rows/)
    expect(() => sliceScores({ prediction: new Float64Array(2), proba: new Float64Array(3) }, [1, 1])).toThrow(/3 probabilities/)
  })
})
