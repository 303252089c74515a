import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import type { FlatForest } from '../../models/tree/flat-forest.js'
import type { Predictor } from '../../models/predictor.js'
import { shapEnsembleFromForest } from './shap-forest.js'
import type { ShapTree } from './shap-tree.js'
import { TreeShapExplainer } from './tree-shap.js'
import type { ShapEnsemble, ShapValues } from './tree-shap.js'

/**
 * What a boosted-tree predictor exposes for explanations: XgboostPredictor (one base margin, float32 inputs)
 * and keel's gbdt (a base margin per output, float64 comparisons).
 */
interface BoostedTrees {
  trees(): ShapTree[]
  treeGroups(): Int32Array
  readonly baseMargin?: number
  readonly baseMargins?: readonly number[]
  /** Whether thresholds are compared with inputs rounded to float32 (XGBoost); default true when absent. */
  readonly float32Inputs?: boolean
  /** Models with categorical splits (keel's gbdt): the frame with those features as the codes its trees read. */
  encodeFrame?(frame: Frame): Frame
}

export interface ExplainOptions {
  /** keel forests only: the training frame, whose row counts per node become the covers. */
  background?: Frame
}

/**
 * The TreeSHAP ensemble of a tree model, whatever its origin: boosted trees (XGBoost imports: margin space,
 * log-odds for binary:logistic, inputs rounded to float32 as XGBoost does) or keel's decision trees and
 * forests (probability / value space; needs `background`). Other models have no trees: use
 * permutationImportance for them.
 */
export function shapEnsembleFor(predictor: Predictor, options: ExplainOptions = {}): ShapEnsemble {
  const boosted = predictor as Partial<BoostedTrees>
  const hasBase = typeof boosted.baseMargin === 'number' || Array.isArray(boosted.baseMargins)
  if (typeof boosted.trees === 'function' && typeof boosted.treeGroups === 'function' && hasBase) {
    const trees = boosted.trees()
    const group = boosted.treeGroups()
    let nGroups = boosted.baseMargins?.length ?? 1
    for (const g of group) nGroups = Math.max(nGroups, g + 1)
    const base = boosted.baseMargins !== undefined ? [...boosted.baseMargins] : new Array<number>(nGroups).fill(boosted.baseMargin ?? 0)
    return { trees, nFeatures: predictor.features.length, group, nGroups, base, float32Inputs: boosted.float32Inputs ?? true }
  }
  const forest = (predictor as { forest?: FlatForest }).forest
  if (forest !== undefined && forest.roots instanceof Int32Array) {
    if (options.background === undefined) {
      throw invalidParameter(
        `Explaining a '${predictor.kind}' model needs 'background' (its training frame): keel's trees do not store how many rows reached each node.`,
      )
    }
    return shapEnsembleFromForest(forest, { background: options.background, features: predictor.features })
  }
  throw invalidParameter(`TreeSHAP needs a tree model; '${predictor.kind}' has no trees. Use permutationImportance for it.`)
}

/** SHAP values of every row of `frame` for a tree model (see shapEnsembleFor for the output space). */
export function explainPredictor(predictor: Predictor, frame: Frame, options: ExplainOptions = {}): ShapValues {
  const encode = (predictor as Partial<BoostedTrees>).encodeFrame
  const input = typeof encode === 'function' ? encode.call(predictor, frame) : frame
  return new TreeShapExplainer(shapEnsembleFor(predictor, options)).explainFrame(input, predictor.features)
}
