import type { Frame } from '../../core/frame.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { compileForest } from './flat-forest.js'
import { abortedError } from './forest-pool.js'
import { growScratch, growTree } from './grow-tree.js'
import { TREE_DEFAULTS, criterionFor, maxFeaturesCount, resolveTreeParams } from './params.js'
import type { TreeParams } from './params.js'
import { TreeBuilder } from './tree-builder.js'
import type { BuildOptions } from './tree-builder.js'
import { prepareTraining } from './training-data.js'
import type { PreparedTraining } from './training-data.js'
import { TreePredictor } from './tree-predictor.js'

export const DECISION_TREE = 'decision-tree'

/** Builder options from params for a prepared data set (shared with the forest). */
export function buildOptions(params: TreeParams, task: Task, nFeatures: number, forest: boolean): BuildOptions {
  return {
    criterion: criterionFor(task, params.criterion),
    maxDepth: params.maxDepth ?? Number.MAX_SAFE_INTEGER,
    minSamplesSplit: params.minSamplesSplit,
    minSamplesLeaf: params.minSamplesLeaf,
    maxFeatures: maxFeaturesCount(params.maxFeatures, nFeatures, task, forest),
    minImpurityDecrease: params.minImpurityDecrease,
  }
}

export function prepare(frame: Frame, target: string, task: Task, params: TreeParams): PreparedTraining {
  criterionFor(task, params.criterion) // fail on a mismatched criterion before the costly binning
  return prepareTraining(frame, target, task, params.maxBins, params.classWeight)
}

/**
 * CART on quantile-binned features (exact splits when a feature has ≤ maxBins distinct values). Missing
 * feature values are refused with the column named: impute them in the feature pipeline first.
 */
export const decisionTree: Algorithm<TreeParams> = {
  name: DECISION_TREE,
  tasks: ['classification', 'regression'],
  defaults: TREE_DEFAULTS,
  resolveParams: resolveTreeParams,
  async fit(frame: Frame, target: string, task: Task, params: TreeParams, context: FitContext = {}): Promise<Predictor> {
    const resolved = resolveTreeParams(params)
    if (context.signal?.aborted === true) throw abortedError(0, 1)
    const prepared = prepare(frame, target, task, resolved)
    const { data } = prepared
    const builder = new TreeBuilder(data, buildOptions(resolved, task, data.nFeatures, false))
    const tree = growTree(data, builder, context.seed ?? 0, false, growScratch(data.rows))
    context.progress?.({ done: 1, total: 1, message: `decision tree: ${tree.nodeCount} nodes` })
    const forest = compileForest([tree], prepared.edges, data.nOut)
    return new TreePredictor(DECISION_TREE, task, prepared.features, target, prepared.classes, forest, resolved)
  },
  load(saved: SavedModel): Predictor {
    return TreePredictor.load(DECISION_TREE, saved)
  },
}
