import { describe, expect, it } from 'vitest'
import { NumberScanner, parseNumber } from './parse-number.js'
import { createRandom } from '../core/random.js'

const parse = (text: string): number => {
  const bytes = Buffer.from(`x${text}y`, 'latin1')
  return parseNumber(bytes, 1, bytes.length - 1)
}

describe('parseNumber', () => {
  it('agrees bit for bit with Number() on a million random values of every length and exponent', () => {
    const random = createRandom(7)
    const bad: string[] = []
    for (let i = 0; i < 1_000_000 && bad.length < 5; i++) {
      const magnitude = Math.exp((random.next() - 0.5) * 60)
      const v = (random.next() - 0.5) * magnitude
      const kind = i % 4
      const text = kind === 0 ? String(v) : kind === 1 ? v.toExponential(random.int(20)) : kind === 2 ? v.toPrecision(1 + random.int(21)) : v.toFixed(random.int(20))
      if (!Object.is(parse(text), Number(text))) bad.push(text)
    }
    expect(bad).toEqual([])
  })

  it('NumberScanner gives the same value and stops at the first byte after the number', () => {
    const random = createRandom(9)
    const scanner = new NumberScanner()
    const bad: string[] = []
    for (let i = 0; i < 300_000 && bad.length < 5; i++) {
      const v = (random.next() - 0.5) * Math.exp((random.next() - 0.5) * 60)
      const text = i % 3 === 0 ? String(v) : i % 3 === 1 ? v.toExponential(random.int(20)) : v.toFixed(random.int(20))
      const bytes = Buffer.from(`${text},x`)
      const got = scanner.scan(bytes, 0, bytes.length)
      // NaN means "use the general path"; otherwise the value must be exact and the end right.
      if (!Number.isNaN(got) && (!Object.is(got, Number(text)) || scanner.end !== text.length)) bad.push(text)
    }
    expect(bad).toEqual([])
    const at = (text: string): [number, number] => {
      const bytes = Buffer.from(text)
      return [scanner.scan(bytes, 0, bytes.length), scanner.end]
    }
    expect(at('12.5,')).toEqual([12.5, 4])
    expect(at('-0.000123e2\n')).toEqual([-0.0123, 11])
    expect(at('7abc')).toEqual([7, 1])
    expect(at('00.0')).toEqual([0, 4])
    expect(at('.5e')[0]).toBeNaN()
    expect(at(',')[0]).toBeNaN()
    expect(at('-')[0]).toBeNaN()
    expect(at('12345678901234567890')[0]).toBeNaN()
  })

  it('reads integers, signs, exponents, spaces and infinities; rejects anything else', () => {
    expect(parse('42')).toBe(42)
    expect(parse('-0')).toBe(-0)
    expect(parse('+3.5')).toBe(3.5)
    expect(parse('.5')).toBe(0.5)
    expect(parse('5.')).toBe(5)
    expect(parse(' 1e3 ')).toBe(1000)
    expect(parse('1E-3')).toBe(0.001)
    expect(parse('123456789012345678901234567890')).toBe(123456789012345678901234567890)
    expect(parse('0.30000000000000004')).toBe(0.30000000000000004)
    expect(parse('9007199254740993')).toBe(9007199254740992)
    expect(parse('2.2250738585072014e-308')).toBe(2.2250738585072014e-308)
    expect(parse('1e400')).toBe(Infinity)
    expect(parse('-inf')).toBe(-Infinity)
    expect(parse('Infinity')).toBe(Infinity)
    for (const text of ['', ' ', 'abc', '1,5', '0x10', '1e', '--1', '1.2.3', '.', 'e5', '12a', 'true']) {
      expect(parse(text), text).toBeNaN()
    }
  })
})
