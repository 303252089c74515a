import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from './error-catalogue.js'
import { ERROR_STATUS } from './errors.js'
import type { ErrorCode } from './errors.js'

const codes = Object.keys(ERROR_STATUS) as ErrorCode[]

describe('ERROR_CATALOGUE', () => {
  it('documents exactly the codes of ERROR_STATUS', () => {
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual([...codes].sort())
  })

  it.each(codes)('%s has a one-line meaning and fix that fit in a markdown table cell', (code) => {
    const { meaning, fix } = ERROR_CATALOGUE[code]
    for (const text of [meaning, fix]) {
      expect(text.trim().length).toBeGreaterThan(10)
      expect(text).not.toMatch(/[\r\n|]/)
      expect(text).toBe(text.trim())
    }
    expect(fix).not.toBe(meaning)
  })

  it("never tells a caller to simply retry a mistake of their own (4xx other than rate limiting)", () => {
    const callerMistakes = codes.filter((c) => ERROR_STATUS[c] < 500 && c !== 'REQUEST_LIMIT_EXCEEDED')
    expect(callerMistakes.length).toBeGreaterThan(5)
    for (const code of callerMistakes) expect(ERROR_CATALOGUE[code].fix, code).not.toMatch(/\bretry\b/i)
    expect(ERROR_CATALOGUE.TEMPORARILY_UNAVAILABLE.fix).toMatch(/\bretry\b/i)
  })
})
