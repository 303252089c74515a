import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Frame, numericColumn } from '../../core/frame.js'

/** The scikit-learn reference fits written by test/fixtures/linear/make_linear.py. */
export interface LinearFixture {
  sklearn: string
  ridge: {
    X: number[][]
    y: number[]
    sampleWeight: number[]
    fits: Array<{ alpha: number; fitIntercept: boolean; weighted: boolean; coef: number[]; intercept: number; predict: number[] }>
  }
  binary: ClassificationSet
  multiclass: ClassificationSet
}

export interface ClassificationSet {
  X: number[][]
  y: number[]
  sampleWeight: number[]
  classes: string[]
  fits: Array<{
    C: number
    penalty: 'l2' | 'none'
    fitIntercept: boolean
    classWeight: 'balanced' | null
    weighted: boolean
    coef: number[][]
    intercept: number[]
    predictProba: number[][]
    nIter: number
  }>
}

export function loadLinearFixture(): LinearFixture {
  const path = fileURLToPath(new URL('../../../test/fixtures/linear/linear.json', import.meta.url))
  return JSON.parse(readFileSync(path, 'utf8')) as LinearFixture
}

/** Columns x0..x{p-1}, the target 'y' and, when given, the weight column 'w'. */
export function frameOf(X: readonly number[][], y: readonly number[], weights?: readonly number[]): Frame {
  const p = X[0]!.length
  const columns = Array.from({ length: p }, (_, j) => numericColumn(`x${j}`, X.map((row) => row[j]!)))
  columns.push(numericColumn('y', y))
  if (weights !== undefined) columns.push(numericColumn('w', weights))
  return new Frame(columns)
}
