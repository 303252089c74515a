import { describe, expect, it } from 'vitest'
import { generateRunName } from './run-names.js'

describe('generateRunName', () => {
  it('makes adjective-noun-number names', () => {
    for (let i = 0; i < 50; i++) expect(generateRunName()).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/)
  })

  it('is deterministic for a given random source and stays in range at the edges', () => {
    const seq = (values: number[]) => {
      let i = 0
      return () => values[i++ % values.length]!
    }
    expect(generateRunName(seq([0, 0, 0]))).toBe('amazing-ant-0')
    expect(generateRunName(seq([0.999999, 0.999999, 0.999999]))).toBe('zealous-zebra-999')
    expect(generateRunName(seq([0.5, 0.5, 0.5]))).toBe(generateRunName(seq([0.5, 0.5, 0.5])))
  })
})
