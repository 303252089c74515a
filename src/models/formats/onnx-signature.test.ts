import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { columnSpecOf, formatTensorType, matrixWidth, parseTensorType } from './onnx-signature.js'
import { packFrame, toFloat64 } from './onnx-tensors.js'

describe('ONNX tensor types in a Signature', () => {
  it('formats fixed, symbolic and unknown dims and parses them back', () => {
    expect(formatTensorType('float32', ['batch', 8])).toBe('tensor<float32>[batch,8]')
    expect(formatTensorType('int64', [-1, '', 3])).toBe('tensor<int64>[?,?,3]')
    expect(formatTensorType('float64', [])).toBe('tensor<float64>[]')
    expect(parseTensorType('tensor<float32>[batch,8]')).toEqual({ elementType: 'float32', shape: ['batch', 8] })
    expect(parseTensorType('tensor<int64>[?,?,3]')).toEqual({ elementType: 'int64', shape: ['?', '?', 3] })
    expect(parseTensorType('tensor<float64>[]')).toEqual({ elementType: 'float64', shape: [] })
    expect(() => parseTensorType('double')).toThrow(/not a tensor type/)
  })

  it('marks non-tensor values and finds the width of 2-D float inputs only', () => {
    expect(columnSpecOf({ name: 'zipmap', elementType: undefined, shape: [] })).toEqual({ name: 'zipmap', type: 'object' })
    expect(matrixWidth({ name: 'a', elementType: 'float32', shape: ['batch', 8] })).toBe(8)
    expect(matrixWidth({ name: 'a', elementType: 'float64', shape: [-1, 5] })).toBe(5)
    expect(matrixWidth({ name: 'a', elementType: 'float32', shape: ['batch', 'n'] })).toBeUndefined()
    expect(matrixWidth({ name: 'a', elementType: 'int64', shape: ['batch', 8] })).toBeUndefined()
    expect(matrixWidth({ name: 'a', elementType: 'float32', shape: ['batch', 8, 2] })).toBeUndefined()
  })
})

describe('packing frames and reading outputs', () => {
  const frame = new Frame([numericColumn('a', [1, 2, 3]), numericColumn('b', [10, 20, NaN])])

  it('packs row-major in the requested column order, keeping NaN', () => {
    const packed = packFrame(frame, 'x', 'float64', 2, ['b', 'a'])
    expect(packed.dims).toEqual([3, 2])
    expect(Array.from(packed.data)).toEqual([10, 1, 20, 2, NaN, 3])
    const f32 = packFrame(frame, 'x', 'float32', undefined)
    expect(f32.data).toBeInstanceOf(Float32Array)
    expect(Array.from(f32.data)).toEqual([1, 10, 2, 20, 3, NaN])
  })

  it('refuses a width mismatch with expected and given in the details', () => {
    let error: unknown
    try {
      packFrame(frame, 'x', 'float32', 3)
    } catch (e) {
      error = e
    }
    expect((error as { code?: string }).code).toBe('INVALID_PARAMETER_VALUE')
    expect((error as { details?: unknown }).details).toEqual({ input: 'x', expected: 3, given: 2 })
    expect((error as Error).message).toMatch(/takes 3 columns per row, but the frame has 2 \('a', 'b'\)/)
  })

  it('converts int64 and float32 outputs and refuses half floats and strings', () => {
    expect(Array.from(toFloat64(BigInt64Array.from([0n, 2n, -1n]), 'int64', 'label'))).toEqual([0, 2, -1])
    expect(Array.from(toFloat64(Float32Array.from([0.5, 0.25]), 'float32', 'p'))).toEqual([0.5, 0.25])
    expect(() => toFloat64(new Uint16Array([15360]), 'float16', 'p')).toThrow(/float16/)
    expect(() => toFloat64(['a'], 'string', 'p')).toThrow(/not a numeric tensor/)
  })
})
