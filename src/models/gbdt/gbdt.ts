import { aborted, invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import type { Random } from '../../core/random.js'
import type { Algorithm, FitContext, Predictor, SavedModel, Task } from '../predictor.js'
import { binColumns, featureEdges } from './binning.js'
import type { BinnedFeatures } from './binning.js'
import { compileTrees } from './boosted-trees.js'
import { GBDT, GbdtPredictor } from './gbdt-predictor.js'
import { createLoss } from './objectives.js'
import { GBDT_DEFAULTS, objectiveFor, resolveGbdtParams } from './params.js'
import type { GbdtParams } from './params.js'
import { categoryMaps, encodeTarget, featureColumns, rowWeights } from './training-input.js'
import { availableParallelism } from 'node:os'
import { HistogramPool, PARALLEL_MIN_ROWS } from './histogram-pool.js'
import { GradientQuantizer } from './quantize.js'
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
  acceptsCategorical: true,
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
  const cats = categoryMaps(train, features, p.categoricalFeatures, p.maxBins)
  const columns = featureColumns(train, features, true, cats)
  const edges = featureEdges(columns, cats, p.maxBins)
  const data = binColumns(columns, edges, train.rows, cats)
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
    validData = binColumns(featureColumns(valid, features, false, cats), edges, valid.rows, cats)
    validMargins = new Float64Array(valid.rows * K)
    for (let i = 0; i < valid.rows; i++) for (let c = 0; c < K; c++) validMargins[i * K + c] = base[c]!
  }

  // Worker threads only pay on data big enough to give every thread a block of rows.
  const threads = Math.max(1, Math.min(p.threads ?? context.threads ?? availableParallelism(), Math.floor(n / PARALLEL_MIN_ROWS)))
  // The pool builds every histogram the grower builds from all features without row counts.
  const pooled = p.minSamplesLeaf === 1 && p.colsampleByTree === 1
  const parallel = threads > 1 && pooled
  const quantizer = pooled ? GradientQuantizer.forRows(n, createRandom((context.seed ?? 0) + 1).nextSeed()) : null
  const grower = new TreeGrower(data, {
    maxLeaves: p.maxLeaves,
    maxDepth: p.maxDepth,
    minChildWeight: p.minChildWeight,
    minSamplesLeaf: p.minSamplesLeaf,
    minSplitGain: p.minSplitGain,
    lambda: p.lambda,
    alpha: p.alpha,
    learningRate: p.learningRate,
    maxCatToOnehot: p.maxCatToOnehot,
    minDataPerCategory: p.minDataPerCategory,
    catSmooth: p.catSmooth,
  }, parallel)
  const gh = parallel ? new Float64Array(new SharedArrayBuffer(16 * n)) : new Float64Array(2 * n)
  const rowIdx = parallel ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n)
  // Quantised: the loss writes exact gradients to ghExact, the grower sees their quantised values in gh and
  // builds histograms from `packed`; leaf values are then recomputed from ghExact.
  const packed = quantizer === null ? null : parallel ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n)
  const ghExact = quantizer === null ? gh : new Float64Array(2 * n)
  if (pooled) {
    const q = quantizer === null || packed === null ? null : { quantizer, packed }
    grower.workers = await HistogramPool.start(parallel ? threads : 1, grower.slots, features.length, gh, rowIdx, 2 * grower.totalBins, q)
  }
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
        loss.gradients(c, margins, ghExact)
        if (quantizer !== null) quantizer.quantize(ghExact, n, packed!, gh)
        const active = nCols < features.length ? sampleFeatures(features.length, nCols, random) : allFeatures
        const leafValue = loss.leafValue(margins, p.learningRate)
        const tree = grower.grow(gh, rowIdx, nSample, active, leafValue)
        // Every row in exactly one leaf's range: margins are updated leaf by leaf, without walking the tree.
        const fromLeaves = nSample === n ? margins : null
        if (quantizer !== null) exactLeaves(tree, ghExact, rowIdx, leafValue === null, p, fromLeaves, K, c)
        else if (fromLeaves !== null) addLeafValues(tree, rowIdx, fromLeaves, K, c)
        trees.push(copyTree(tree))
        if (fromLeaves === null) addBinnedTree(tree, data, margins, K, c)
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
    const model = compileTrees(kept, edges, K, base, cats)
    return new GbdtPredictor(task, features, target, enc.classes, objective, model, p, kept.length / K)
  }
}

type LeafRanges = GrownTree & { start: Int32Array; end: Int32Array }

/**
 * Recomputes a quantised tree's covers (hessian sums, for TreeSHAP) and, for Newton leaves, leaf values from
 * the exact gradients of each leaf's rows (as LightGBM does after quantised training); with `margins`, adds
 * each leaf's value to its rows' margins while they are in cache.
 */
function exactLeaves(tree: LeafRanges, g: Float64Array, rows: Int32Array, newton: boolean, p: GbdtParams, margins: Float64Array | null, K: number, c: number): void {
  // Children come after their parent: walk backwards so both children are done before the parent.
  for (let k = tree.nodeCount - 1; k >= 0; k--) {
    if (tree.feature[k]! >= 0) {
      tree.cover[k] = tree.cover[tree.left[k]!]! + tree.cover[tree.right[k]!]!
      continue
    }
    const s = tree.start[k]!
    const e = tree.end[k]!
    let sg = 0
    let sh = 0
    for (let q = s; q < e; q++) {
      const r = rows[q]!
      sg += g[2 * r]!
      sh += g[2 * r + 1]!
    }
    tree.cover[k] = sh
    if (newton) {
      const t = sg > p.alpha ? sg - p.alpha : sg < -p.alpha ? sg + p.alpha : 0
      tree.value[k] = (-p.learningRate * t) / (sh + p.lambda)
    }
    if (margins === null) continue
    const v = tree.value[k]!
    for (let q = s; q < e; q++) margins[rows[q]! * K + c]! += v
  }
}

/** Adds each leaf's value to the margins of its rows rowIdx[start, end). */
function addLeafValues(tree: LeafRanges, rows: Int32Array, margins: Float64Array, K: number, c: number): void {
  for (let k = 0; k < tree.nodeCount; k++) {
    if (tree.feature[k]! >= 0) continue
    const v = tree.value[k]!
    const e = tree.end[k]!
    for (let q = tree.start[k]!; q < e; q++) margins[rows[q]! * K + c]! += v
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
    cats: t.cats.slice(0, m),
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
      const mask = t.cats[k]
      const goLeft = mask != null ? mask[b] === 1 : b === d.numValueBins[f]! ? t.missingLeft[k] === 1 : b <= t.bin[k]!
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
