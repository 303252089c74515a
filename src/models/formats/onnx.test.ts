import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../../core/frame.js'
import { tempDir } from '../../../test/support/temp-dir.js'
import { inspectOnnxModel, OnnxModel } from './onnx.js'
import { parseTensorType } from './onnx-signature.js'

/** Written by test/fixtures/onnx/make_onnx.py (torch 1.13): an 8 → 16 → 3 softmax MLP, 50 rows and torch's outputs. */
const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/onnx')
const MLP = join(FIXTURES, 'mlp.onnx')
const TWO_INPUTS = join(FIXTURES, 'two-inputs.onnx')

interface MlpFixture {
  input: { name: string; shape: Array<string | number> }
  output: { name: string; shape: Array<string | number> }
  columns: string[]
  rows: number[][]
  probabilities: number[][]
  probabilities_f64: number[][]
}
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'mlp.json'), 'utf8')) as MlpFixture

function fixtureFrame(columns: readonly string[] = fixture.columns): Frame {
  return new Frame(columns.map((name) => numericColumn(name, fixture.rows.map((r) => r[fixture.columns.indexOf(name)]!))))
}

function expectClose(actual: Float64Array, expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length)
  let worst = 0
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!))
  expect(worst).toBeLessThanOrEqual(tolerance)
}

async function expectKeelError(promise: Promise<unknown>, code: string, ...fragments: RegExp[]): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a rejection').toBeInstanceOf(Error)
  expect((error as { code?: unknown }).code).toBe(code)
  for (const f of fragments) expect((error as Error).message).toMatch(f)
}

describe('inspectOnnxModel', () => {
  it('reads names, element types and symbolic batch dims from the graph', async () => {
    const inspection = await inspectOnnxModel(MLP)
    expect(inspection.inputNames).toEqual([fixture.input.name])
    expect(inspection.outputNames).toEqual([fixture.output.name])
    expect(inspection.inputs).toEqual([{ name: 'features', elementType: 'float32', shape: fixture.input.shape }])
    expect(inspection.signature).toEqual({
      inputs: [{ name: 'features', type: `tensor<float32>[${fixture.input.shape.join(',')}]` }],
      outputs: [{ name: 'probabilities', type: `tensor<float32>[${fixture.output.shape.join(',')}]` }],
    })
    expect(inspection.inputWidth).toBe(fixture.columns.length)
    // The type string round-trips to the graph's shape, so the importer/server can recover n and the batch name.
    expect(parseTensorType(inspection.signature.inputs[0]!.type)).toEqual({ elementType: 'float32', shape: fixture.input.shape })
  })

  it('reads several inputs and a non-float output, and records no width for them', async () => {
    const inspection = await inspectOnnxModel(TWO_INPUTS)
    expect(inspection.signature).toEqual({
      inputs: [
        { name: 'x', type: 'tensor<float32>[n,4]' },
        { name: 'offset', type: 'tensor<float32>[n,1]' },
      ],
      outputs: [
        { name: 'label', type: 'tensor<int64>[n]' },
        { name: 'scores', type: 'tensor<float32>[n,2]' },
      ],
    })
    expect(inspection.inputWidth).toBeUndefined()
  })
})

describe('OnnxModel', () => {
  let model: OnnxModel
  beforeEach(async () => {
    model = await OnnxModel.load(MLP, { threads: 1 })
  })
  afterEach(async () => {
    await model.close()
  })

  it('predictFrame equals torch to 1e-5 on the 50 fixture rows', async () => {
    const out = await model.predictFrame(fixtureFrame())
    expectClose(out, fixture.probabilities.flat(), 1e-5)
    // Softmax rows: a sanity check that rows were not interleaved with columns.
    for (let r = 0; r < fixture.rows.length; r++) expect(out[r * 3]! + out[r * 3 + 1]! + out[r * 3 + 2]!).toBeCloseTo(1, 5)
  })

  it('takes the feature order from `columns`, whatever the frame order', async () => {
    const shuffled = fixtureFrame([...fixture.columns].reverse()).withColumn(categoricalColumn('id', fixture.rows.map((_, i) => `r${i}`)))
    const out = await model.predictFrame(shuffled, { columns: fixture.columns, inputName: 'features', outputName: 'probabilities' })
    expectClose(out, fixture.probabilities.flat(), 1e-5)
    // Without `columns`, the reversed order gives different (wrong) numbers: the order really is used.
    const reversed = await model.predictFrame(fixtureFrame([...fixture.columns].reverse()))
    expect(Math.abs(reversed[0]! - fixture.probabilities[0]![0]!)).toBeGreaterThan(1e-4)
  })

  it('run() on a raw tensor equals predictFrame and reports the output shape', async () => {
    const rows = fixture.rows.slice(0, 7)
    const results = await model.run({ features: Float32Array.from(rows.flat()) }, { features: [7, 8] })
    const probs = results['probabilities']!
    expect(probs.elementType).toBe('float32')
    expect(probs.dims).toEqual([7, 3])
    expectClose(Float64Array.from(probs.data as Float32Array), fixture.probabilities.slice(0, 7).flat(), 1e-5)
  })

  it('refuses a frame whose width differs from the input, naming expected and given', async () => {
    await expectKeelError(model.predictFrame(fixtureFrame(fixture.columns.slice(0, 7))), 'INVALID_PARAMETER_VALUE', /takes 8 columns/, /has 7/, /'f0'/)
    await expectKeelError(
      model.predictFrame(fixtureFrame(), { columns: [...fixture.columns, 'f0'] }),
      'INVALID_PARAMETER_VALUE',
      /takes 8 columns/,
      /names 9/,
    )
  })

  it('refuses categorical columns, unknown columns and names, and bad raw tensors', async () => {
    const withCategory = fixtureFrame(fixture.columns.slice(0, 7)).withColumn(categoricalColumn('f7', fixture.rows.map(() => 'a')))
    await expectKeelError(model.predictFrame(withCategory), 'INVALID_PARAMETER_VALUE', /'f7' are categorical/)
    await expectKeelError(model.predictFrame(fixtureFrame(), { columns: [...fixture.columns.slice(0, 7), 'nope'] }), 'INVALID_PARAMETER_VALUE', /No column 'nope'/)
    await expectKeelError(model.predictFrame(fixtureFrame(), { inputName: 'x' }), 'INVALID_PARAMETER_VALUE', /'x' is not an input/)
    await expectKeelError(model.predictFrame(fixtureFrame(), { outputName: 'y' }), 'INVALID_PARAMETER_VALUE', /'y' is not an output/)
    await expectKeelError(model.run({ features: new Float64Array(16) }, { features: [2, 8] }), 'INVALID_PARAMETER_VALUE', /takes float32/)
    await expectKeelError(model.run({ features: new Float32Array(16) }, { features: [2, 7] }), 'INVALID_PARAMETER_VALUE', /16 values/)
    await expectKeelError(model.run({ features: new Float32Array(14) }, { features: [2, 7] }), 'INVALID_PARAMETER_VALUE', /size 8 in dim 1/)
    await expectKeelError(model.run({}, {}), 'INVALID_PARAMETER_VALUE', /'features' is missing/)
    await expectKeelError(model.run({ features: new Float32Array(8), other: new Float32Array(1) }, { features: [1, 8] }), 'INVALID_PARAMETER_VALUE', /no input 'other'/)
  })

  it('scores an empty frame as empty and refuses use after close', async () => {
    expect((await model.predictFrame(new Frame(fixture.columns.map((n) => numericColumn(n, []))))).length).toBe(0)
    await model.close()
    await model.close()
    await expectKeelError(model.predictFrame(fixtureFrame()), 'INVALID_PARAMETER_VALUE', /is closed/)
  })
})

describe('OnnxModel with a float64 input', () => {
  it('packs the frame as float64 and equals torch in double precision to 1e-12', async () => {
    const model = await OnnxModel.load(join(FIXTURES, 'mlp-f64.onnx'))
    try {
      expect(model.signature.inputs).toEqual([{ name: 'features', type: 'tensor<float64>[batch,8]' }])
      expectClose(await model.predictFrame(fixtureFrame()), fixture.probabilities_f64.flat(), 1e-12)
    } finally {
      await model.close()
    }
  })
})

describe('OnnxModel with several inputs', () => {
  it('runs through run() with every input and refuses predictFrame', async () => {
    const model = await OnnxModel.load(TWO_INPUTS)
    try {
      // Rows: x, -x with offset 100, and 0 (which gives the bias b). Linearity: s(x) + s(-x) = 2b + 100.
      const x = Float32Array.from([1, 2, 3, 4, -1, -2, -3, -4, 0, 0, 0, 0])
      const results = await model.run({ x, offset: Float32Array.from([0, 100, 0]) }, { x: [3, 4], offset: [3, 1] })
      const scores = results['scores']!
      expect(scores.dims).toEqual([3, 2])
      const s = scores.data as Float32Array
      for (let k = 0; k < 2; k++) expect(s[k]! + s[2 + k]!).toBeCloseTo(2 * s[4 + k]! + 100, 3)
      const label = results['label']!
      expect(label.elementType).toBe('int64')
      expect(label.dims).toEqual([3])
      const argmax = (a: number, b: number): number => (a >= b ? 0 : 1)
      expect(Array.from(label.data as BigInt64Array, Number)).toEqual([argmax(s[0]!, s[1]!), argmax(s[2]!, s[3]!), argmax(s[4]!, s[5]!)])
      await expectKeelError(model.predictFrame(fixtureFrame()), 'INVALID_PARAMETER_VALUE', /has 2 inputs/, /run\(\)/)
    } finally {
      await model.close()
    }
  })
})

describe('OnnxModel.load refuses what is not an ONNX model', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir('keel-onnx-')
  })
  afterEach(() => dir.remove())

  it('refuses truncated files at every cut point tried', async () => {
    const bytes = readFileSync(MLP)
    const cuts = [1, 16, Math.floor(bytes.length / 4), Math.floor(bytes.length / 2), Math.floor((bytes.length * 3) / 4), bytes.length - 1]
    for (const cut of cuts) {
      const path = join(dir.path, `cut-${cut}.onnx`)
      writeFileSync(path, bytes.subarray(0, cut))
      await expectKeelError(OnnxModel.load(path), 'INVALID_PARAMETER_VALUE', /is not a valid ONNX model/, /truncated/)
    }
  })

  it('refuses corrupt bytes, JSON, an empty file and a missing path, saying which', async () => {
    const corrupt = Buffer.from(readFileSync(MLP))
    for (let i = 200; i < 260; i++) corrupt[i]! ^= 0xff
    writeFileSync(join(dir.path, 'corrupt.onnx'), corrupt)
    writeFileSync(join(dir.path, 'model.json'), '{"learner": {}}')
    writeFileSync(join(dir.path, 'empty.onnx'), '')
    await expectKeelError(OnnxModel.load(join(dir.path, 'corrupt.onnx')), 'INVALID_PARAMETER_VALUE', /not a valid ONNX model/)
    await expectKeelError(inspectOnnxModel(join(dir.path, 'model.json')), 'INVALID_PARAMETER_VALUE', /looks like JSON/, /--format xgboost/)
    await expectKeelError(OnnxModel.load(join(dir.path, 'empty.onnx')), 'INVALID_PARAMETER_VALUE', /is empty/)
    await expectKeelError(OnnxModel.load(join(dir.path, 'absent.onnx')), 'INVALID_PARAMETER_VALUE', /no such file/)
    await expectKeelError(OnnxModel.load(MLP, { threads: 0 }), 'INVALID_PARAMETER_VALUE', /'threads'/)
  })
})
