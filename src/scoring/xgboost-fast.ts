import type { Frame, Row } from '../core/frame.js'
import { invalidParameter } from '../core/errors.js'
import type { XgboostPredictor } from '../models/formats/xgboost.js'
import { FastForest } from './fast-forest.js'
import type { FastColumns } from './fast-forest.js'

/**
 * XGBoost margins through {@link FastForest}: inputs rounded to float32 and leaves summed in float32 in tree
 * order, exactly as `XgboostPredictor` (and XGBoost) do, so the margins are identical.
 */
export class XgboostFastMargins {
  private rowInput: Float64Array | undefined
  private rowMargins: Float64Array | undefined

  private constructor(
    readonly features: readonly string[],
    readonly groups: number,
    readonly forest: FastForest,
  ) {}

  /** Undefined when the trees are too deep for the complete layout. */
  static compile(predictor: XgboostPredictor): XgboostFastMargins | undefined {
    const groups = predictor.model.groups
    const forest = FastForest.compile(
      { trees: predictor.trees(), treeGroup: predictor.treeGroups(), groups, base: new Float64Array(groups).fill(predictor.baseMargin), float32: true },
      predictor.features.length,
    )
    return forest === undefined ? undefined : new XgboostFastMargins(predictor.features, groups, forest)
  }

  /**
   * Margins of one JSON row into scratch reused by the next call (nothing allocated per row). Missing features
   * (null/undefined) are NaN, as in `XgboostPredictor.predictRow`.
   */
  marginsRow(row: Row): Float64Array {
    const names = this.features
    const x = (this.rowInput ??= new Float64Array(names.length))
    const m = (this.rowMargins ??= new Float64Array(this.groups))
    for (let f = 0; f < names.length; f++) {
      const v = row[names[f]!]
      if (typeof v === 'number') x[f] = v
      else if (v === null || v === undefined) x[f] = Number.NaN
      else if (typeof v === 'boolean') x[f] = v ? 1 : 0
      else throw invalidParameter(`Feature '${names[f]}' must be a number (or null when missing), got ${JSON.stringify(v)}.`)
    }
    this.forest.marginsRow(x, m)
    return m
  }

  /** The frame's feature columns, in the model's order; names every missing one. */
  columns(frame: Frame): Float64Array[] {
    const missing = this.features.filter((f) => !frame.has(f))
    if (missing.length > 0) throw invalidParameter(`The data lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} of the XGBoost model.`)
    return this.features.map((name) => frame.numeric(name))
  }

  /** Raw margins, rows × groups row-major, for rows [start, end) of `frame`. */
  margins(frame: Frame, start = 0, end = frame.rows): Float64Array {
    return this.marginsOf(this.columns(frame), start, end)
  }

  /** Raw margins for rows [start, end) of columns in the model's feature order. */
  marginsOf(columns: FastColumns, start: number, end: number): Float64Array {
    const out = new Float64Array((end - start) * this.groups)
    this.forest.margins(columns, start, end, out, 0)
    return out
  }
}
