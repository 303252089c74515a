import { aborted, invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import type { Random } from '../../core/random.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { binColumns, computeEdges } from './binning.js'
import type { BinnedFeatures } from './binning.js'
import { compileTrees } from './boosted-trees.js'
import { GBDT, GbdtPredictor } from './gbdt-predictor.js'
import { createLoss } from './objectives.js'
import { GBDT_DEFAULTS, objectiveFor, resolveGbdtParams } from './params.js'
import type { GbdtParams } from './params.js'
import { encodeTarget, featureColumns, rowWeights } from './training-input.js'
import { availableParallelism } from 'node:os'
import { HistogramPool, PARALLEL_MIN_ROWS } from './histogram-pool.js'
import { TreeGrower } from './tree-grower.js'
import type { GrownTree } from './tree-grower.js'

export interface GbdtFitOptions {
  /** Early stopping watches this frame's loss instead of a held-out fraction of the training frame. */
  validation?: Frame
}

/**
 * Histogram gradient boosting: features binned once (≤ 255 value bins + a missing bin), leaf-wise trees with a
 * learned default direction for missing values, Newton leaves with L1/L2 penalties, shrinkage, seeded row and
 * column subsampling, and early stopping on validation loss.
 */
export const gbdt: Algorithm<GbdtParams> = {
  name: GBDT,
  tasks: ['classification', 'regression'],
  defaults: GBDT_DEFAULTS,
  resolveParams: resolveGbdtParams,
  fit(frame: Frame, target: string, task: Task, params: GbdtParams, context: FitContext = {}): Promise<Predictor> {
    return fitGbdt(frame, target, task, params, context)
  },
  load(saved: SavedModel): Predictor {
    return GbdtPredictor.load(saved)
  },
}

export async function fitGbdt(
  frame: Frame,
  target: string,
  task: Task,
  params: Partial<GbdtParams>,
  context: FitContext = {},
  options: GbdtFitOptions = {},
): Promise<GbdtPredictor> {
  const p = resolveGbdtParams(params)
  if (frame.rows === 0) throw invalidParameter('The training frame has no rows.')
  const random = createRandom(context.seed ?? 0)
  let train = frame
  let valid = options.validation
  if (valid === undefined && p.earlyStoppingRounds !== null) {
    const order = random.permutation(frame.rows)
    const nValid = Math.max(1, Math.round(frame.rows * p.validationFraction))
    if (frame.rows - nValid < 2) throw invalidParameter(`Early stopping needs more rows than ${frame.rows} to hold out ${p.validationFraction}.`)
    valid = frame.take(order.subarray(0, nValid).slice().sort())
    train = frame.take(order.subarray(nValid).slice().sort())
  }
  const exclude = p.weightColumn === null ? [target] : [target, p.weightColumn]
  const features = frame.names.filter((n) => !exclude.includes(n))
  const enc = encodeTarget(train, target, task)
  const objective = objectiveFor(task, p.objective, enc.classes?.length ?? 0)
  const w = rowWeights(train, p.weightColumn, p.classWeight, enc)
  const columns = featureColumns(train, features, true)
  const edges = columns.map((c) => computeEdges(c, p.maxBins))
  const data = binColumns(columns, edges, train.rows)
  const loss = createLoss(objective, enc.y, w, enc.classes?.length ?? 0, p.huberDelta)
  const K = loss.nOut
  const base = loss.init(enc.y, w)
  const n = train.rows
  const margins = new Float64Array(n * K)
  for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) margins[i * K + c] = base[c]!

  let validData: BinnedFeatures | undefined
  let validY: Float64Array | undefined
  let validW: Float64Array | undefined
  let validMargins: Float64Array | undefined
  if (valid !== undefined) {
    const venc = encodeTarget(valid, target, task, enc.classes)
    validY = venc.y
    validW = rowWeights(valid, p.weightColumn, p.classWeight, venc)
    validData = binColumns(featureColumns(valid, features, false), edges, valid.rows)
    validMargins = new Float64Array(valid.rows * K)
    for (let i = 0; i < valid.rows; i++) for (let c = 0; c < K; c++) validMargins[i * K + c] = base[c]!
  }

  // Worker threads only pay on data big enough to give every thread a block of rows.
  const threads = Math.max(1, Math.min(p.threads ?? context.threads ?? availableParallelism(), Math.floor(n / PARALLEL_MIN_ROWS)))
  const parallel = threads > 1 && p.minSamplesLeaf === 1 && p.colsampleByTree === 1
  const grower = new TreeGrower(data, {
    maxLeaves: p.maxLeaves,
    maxDepth: p.maxDepth,
    minChildWeight: p.minChildWeight,
    minSamplesLeaf: p.minSamplesLeaf,
    minSplitGain: p.minSplitGain,
    lambda: p.lambda,
    alpha: p.alpha,
    learningRate: p.learningRate,
  }, parallel)
  const gh = parallel ? new Float64Array(new SharedArrayBuffer(16 * n)) : new Float64Array(2 * n)
  const rowIdx = parallel ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n)
  if (parallel) grower.workers = await HistogramPool.start(threads, grower.slots, features.length, gh, rowIdx, 2 * grower.totalBins)
  try {
    return await boost()
  } finally {
    await grower.workers?.close()
  }

  async function boost(): Promise<GbdtPredictor> {
    const allFeatures = Int32Array.from(features.keys())
    const nSample = p.subsample < 1 ? Math.max(1, Math.round(p.subsample * n)) : n
    const nCols = Math.max(1, Math.round(p.colsampleByTree * features.length))
    const trees: GrownTree[] = []
    let bestLoss = Infinity
    let bestRound = 0
    for (let round = 0; round < p.nRounds; round++) {
      if (context.signal?.aborted === true) throw aborted(`gbdt training aborted after ${round} of ${p.nRounds} rounds.`)
      if (nSample < n || round === 0) sampleRows(rowIdx, n, nSample, random)
      loss.beginRound(margins)
      for (let c = 0; c < K; c++) {
        loss.gradients(c, margins, gh)
        const active = nCols < features.length ? sampleFeatures(features.length, nCols, random) : allFeatures
        const tree = grower.grow(gh, rowIdx, nSample, active, loss.leafValue(margins, p.learningRate))
        trees.push(copyTree(tree))
        if (nSample === n) {
          // Every row is in exactly one leaf's range: update margins without walking the tree.
          for (let k = 0; k < tree.nodeCount; k++) {
            if (tree.feature[k]! >= 0) continue
            const v = tree.value[k]!
            for (let q = tree.start[k]!; q < tree.end[k]!; q++) margins[rowIdx[q]! * K + c]! += v
          }
        } else {
          addBinnedTree(tree, data, margins, K, c)
        }
        if (validData !== undefined) addBinnedTree(tree, validData, validMargins!, K, c)
      }
      context.progress?.({ done: round + 1, total: p.nRounds, message: `gbdt: round ${round + 1}/${p.nRounds}` })
      if (validData !== undefined && p.earlyStoppingRounds !== null) {
        const l = loss.loss(validY!, validW!, validMargins!)
        // Improvements below 1e-7 relative do not count, so a plateau stops.
        if (l < bestLoss - 1e-7 * Math.abs(bestLoss)) {
          bestLoss = l
          bestRound = round + 1
        } else if (round + 1 - bestRound >= p.earlyStoppingRounds) break
      } else bestRound = round + 1
      // Yield so an abort (or other work) on the event loop gets a turn between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    const kept = trees.slice(0, Math.max(1, bestRound) * K)
    const model = compileTrees(kept, edges, K, base)
    return new GbdtPredictor(task, features, target, enc.classes, objective, model, p, kept.length / K)
  }
}

function copyTree(t: GrownTree): GrownTree {
  const m = t.nodeCount
  return {
    nodeCount: m,
    feature: t.feature.slice(0, m),
    bin: t.bin.slice(0, m),
    missingLeft: t.missingLeft.slice(0, m),
    left: t.left.slice(0, m),
    right: t.right.slice(0, m),
    value: t.value.slice(0, m),
    cover: t.cover.slice(0, m),
  }
}

/** Adds one tree's leaf values to margins[i·K + c] for every row of binned data. */
function addBinnedTree(t: GrownTree, d: BinnedFeatures, margins: Float64Array, K: number, c: number): void {
  const nF = d.nFeatures
  for (let i = 0; i < d.rows; i++) {
    let k = 0
    let f = t.feature[0]!
    while (f >= 0) {
      const b = d.bins[i * nF + f]!
      const goLeft = b === d.numValueBins[f]! ? t.missingLeft[k] === 1 : b <= t.bin[k]!
      k = goLeft ? t.left[k]! : t.right[k]!
      f = t.feature[k]!
    }
    margins[i * K + c]! += t.value[k]!
  }
}

/** rowIdx[0, m) becomes a uniform sample of m distinct rows (all rows, in order, when m = n). */
function sampleRows(rowIdx: Int32Array, n: number, m: number, random: Random): void {
  for (let i = 0; i < n; i++) rowIdx[i] = i
  if (m === n) return
  for (let i = 0; i < m; i++) {
    const j = i + random.int(n - i)
    const t = rowIdx[i]!
    rowIdx[i] = rowIdx[j]!
    rowIdx[j] = t
  }
  // Sorted rows read the bin matrix in order.
  rowIdx.subarray(0, m).sort()
}

function sampleFeatures(nF: number, m: number, random: Random): Int32Array {
  const all = random.permutation(nF)
  return all.subarray(0, m).slice().sort()
}
