import { availableParallelism } from 'node:os'
import type { Frame } from '../../core/frame.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { createRandom } from '../../core/random.js'
import { buildOptions, prepare } from './decision-tree.js'
import { compileForest } from './flat-forest.js'
import { abortedError, growForestInWorkers } from './forest-pool.js'
import { growScratch, growTree } from './grow-tree.js'
import { FOREST_DEFAULTS, resolveForestParams } from './params.js'
import type { ForestParams } from './params.js'
import { TreeBuilder } from './tree-builder.js'
import type { TreeArrays } from './tree-builder.js'
import { TreePredictor } from './tree-predictor.js'

export const RANDOM_FOREST = 'random-forest'

/**
 * Bagged CART trees with per-split feature sampling. With more than one thread the trees grow on worker
 * threads that share the binned feature matrix through a SharedArrayBuffer; each tree has its own seed drawn
 * up front, so the forest is identical for any thread count.
 */
export const randomForest: Algorithm<ForestParams> = {
  name: RANDOM_FOREST,
  tasks: ['classification', 'regression'],
  defaults: FOREST_DEFAULTS,
  resolveParams: resolveForestParams,
  async fit(frame: Frame, target: string, task: Task, params: ForestParams, context: FitContext = {}): Promise<Predictor> {
    const resolved = resolveForestParams(params)
    if (isAborted(context.signal)) throw abortedError(0, resolved.nTrees)
    const prepared = prepare(frame, target, task, resolved)
    const { data } = prepared
    const options = buildOptions(resolved, task, data.nFeatures, true)
    const random = createRandom(context.seed ?? 0)
    const seeds = Array.from({ length: resolved.nTrees }, () => random.nextSeed())
    const threads = Math.max(1, Math.min(resolved.threads ?? context.threads ?? availableParallelism(), resolved.nTrees))
    const total = resolved.nTrees
    const report = (done: number): void => context.progress?.({ done, total, message: `random forest: ${done}/${total} trees` })
    let trees: TreeArrays[]
    if (threads === 1) {
      trees = []
      const builder = new TreeBuilder(data, options)
      const scratch = growScratch(data.rows)
      for (let t = 0; t < total; t++) {
        if (isAborted(context.signal)) throw abortedError(t, total)
        trees.push(growTree(data, builder, seeds[t]!, resolved.bootstrap, scratch))
        report(t + 1)
        // Yield so an abort (or other work) on the event loop gets a turn between trees.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } else {
      trees = await growForestInWorkers(data, options, resolved.bootstrap, seeds, threads, report, context.signal)
    }
    const forest = compileForest(trees, prepared.edges, data.nOut)
    return new TreePredictor(RANDOM_FOREST, task, prepared.features, target, prepared.classes, forest, resolved)
  },
  load(saved: SavedModel): Predictor {
    return TreePredictor.load(RANDOM_FOREST, saved)
  },
}

/** A function, so TypeScript does not narrow `aborted` to a constant across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}
