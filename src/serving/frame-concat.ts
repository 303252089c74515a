import { KeelError } from '../core/errors.js'
import { Frame, MISSING_CODE } from '../core/frame.js'
import type { CategoricalColumn, Column, NumericColumn } from '../core/frame.js'
import type { Scores } from '../scoring/scoring-model.js'

/**
 * The two halves of adaptive batching that touch data: stacking several requests' frames into one, and cutting
 * one batch's `Scores` back into per-request answers. Kept apart from the batcher's queueing logic so both can be
 * tested on their own.
 */

/**
 * Whether `b` can be stacked under `a`: the same column names in the same order, each of the same kind.
 * Protocol layers build frames in signature order, so in practice every request of a deployment matches.
 */
export function sameShape(a: Frame, b: Frame): boolean {
  if (a === b) return true
  const ac = a.columns
  const bc = b.columns
  if (ac.length !== bc.length) return false
  for (let i = 0; i < ac.length; i++) {
    const x = ac[i]!
    const y = bc[i]!
    if (x.name !== y.name || x.kind !== y.kind) return false
  }
  return true
}

/** Stacks frames of the same shape (see `sameShape`) row-wise, in order. One frame is returned as is. */
export function concatFrames(frames: readonly Frame[]): Frame {
  if (frames.length === 0) return new Frame([])
  const first = frames[0]!
  if (frames.length === 1) return first
  let rows = 0
  for (const f of frames) {
    if (!sameShape(first, f)) {
      throw new KeelError('INTERNAL_ERROR', `Cannot batch frames with different columns (${first.names.join(', ')} vs ${f.names.join(', ')}).`)
    }
    rows += f.rows
  }
  const columns = first.columns.map((column, c): Column =>
    column.kind === 'numeric' ? concatNumeric(column, frames, c, rows) : concatCategorical(column, frames, c, rows),
  )
  return new Frame(columns)
}

function concatNumeric(template: NumericColumn, frames: readonly Frame[], c: number, rows: number): NumericColumn {
  const values = new Float64Array(rows)
  let at = 0
  for (const f of frames) {
    const column = f.columns[c] as NumericColumn
    values.set(column.values, at)
    at += column.values.length
  }
  return { kind: 'numeric', name: template.name, dtype: template.dtype, values }
}

/**
 * Each request dictionary-encodes its own strings (first-seen order), so codes of different requests mean
 * different things: when the dictionaries differ, they are merged and codes remapped. Models read categories by
 * string, so the merged order does not change any answer.
 */
function concatCategorical(template: CategoricalColumn, frames: readonly Frame[], c: number, rows: number): CategoricalColumn {
  const codes = new Int32Array(rows)
  let shared = true
  for (const f of frames) {
    const categories = (f.columns[c] as CategoricalColumn).categories
    if (categories !== template.categories && !sameStrings(categories, template.categories)) {
      shared = false
      break
    }
  }
  let at = 0
  if (shared) {
    for (const f of frames) {
      const column = f.columns[c] as CategoricalColumn
      codes.set(column.codes, at)
      at += column.codes.length
    }
    return { kind: 'categorical', name: template.name, codes, categories: template.categories }
  }
  const index = new Map<string, number>()
  const dictionary: string[] = []
  for (const f of frames) {
    const column = f.columns[c] as CategoricalColumn
    const remap = new Int32Array(column.categories.length)
    for (let k = 0; k < column.categories.length; k++) {
      const name = column.categories[k]!
      let code = index.get(name)
      if (code === undefined) {
        code = dictionary.length
        index.set(name, code)
        dictionary.push(name)
      }
      remap[k] = code
    }
    const src = column.codes
    for (let i = 0; i < src.length; i++) {
      const code = src[i]!
      codes[at + i] = code === MISSING_CODE ? MISSING_CODE : remap[code]!
    }
    at += src.length
  }
  return { kind: 'categorical', name: template.name, codes, categories: dictionary }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Cuts one batch's scores into per-request scores: `rows[i]` rows each, in order. The slices are views on the
 * batch's arrays (no copy); callers read them, never write.
 */
export function sliceScores(scores: Scores, rows: readonly number[]): Scores[] {
  let total = 0
  for (const r of rows) total += r
  const width = scores.width ?? 1
  if (scores.prediction.length !== total * width) {
    throw new KeelError('INTERNAL_ERROR', `The model returned ${scores.prediction.length} predictions for a batch of ${total} rows (width ${width}).`)
  }
  const proba = scores.proba
  const classes = proba === undefined || total === 0 ? 0 : proba.length / total
  if (proba !== undefined && total > 0 && !Number.isInteger(classes)) {
    throw new KeelError('INTERNAL_ERROR', `The model returned ${proba.length} probabilities for a batch of ${total} rows.`)
  }
  const out: Scores[] = new Array<Scores>(rows.length)
  let at = 0
  for (let i = 0; i < rows.length; i++) {
    const n = rows[i]!
    const prediction = scores.prediction.subarray(at * width, (at + n) * width)
    const slice: { prediction: Float64Array; proba?: Float64Array; width?: number } = { prediction }
    if (proba !== undefined) slice.proba = proba.subarray(at * classes, (at + n) * classes)
    if (scores.width !== undefined) slice.width = scores.width
    out[i] = slice
    at += n
  }
  return out
}
