import { invalidParameter } from '../../core/errors.js'
import type { ShapTree } from '../../evaluation/explain/shap-tree.js'

/** The objectives keel can score exactly like XGBoost does. */
export const XGBOOST_OBJECTIVES = ['binary:logistic', 'multi:softprob', 'reg:squarederror'] as const
export type XgboostObjective = (typeof XGBOOST_OBJECTIVES)[number]

/**
 * An XGBoost gbtree model, validated. Every tree is renumbered in pre-order from its root (node 0), keeping only
 * reachable nodes, so deleted/recycled node ids in XGBoost's file cannot reach scoring. Thresholds and leaf
 * values are XGBoost's float32 numbers held exactly in float64.
 */
export interface XgboostModel {
  objective: XgboostObjective
  features: string[]
  /** Margins per row: 1 for binary and regression, num_class for multi:softprob. */
  groups: number
  /** base_score as the file stores it (a probability for binary:logistic). */
  baseScore: number
  /** base_score in margin space (logit for binary:logistic), float32 like XGBoost. */
  baseMargin: number
  /** ShapTree's split rule is XGBoost's: x < threshold → left, NaN → missingGoesLeft. */
  trees: ShapTree[]
  /** The output group (class) each tree adds to (XGBoost's `tree_info`). */
  treeGroup: Int32Array
}

const MAX_TREES = 1_000_000
const MAX_NODES = 1 << 26

type Obj = Record<string, unknown>

function fail(what: string): never {
  throw invalidParameter(`Not a usable XGBoost JSON model: ${what}. Save it with booster.save_model('model.json') from XGBoost 1.7 or later.`)
}

/**
 * Reads XGBoost's `save_model` JSON (the parsed object, or its text). Refuses truncated or corrupt files,
 * unsupported boosters/objectives and categorical splits with a message that says which and what to do.
 */
export function parseXgboostModel(json: unknown): XgboostModel {
  const root = typeof json === 'string' ? parseText(json) : json
  const learner = obj(obj(root, 'the top level')['learner'], "'learner'")
  const objective = objectiveOf(learner)
  const param = obj(learner['learner_model_param'], "'learner.learner_model_param'")
  const numFeature = intField(param, 'num_feature', 'learner.learner_model_param')
  if (numFeature < 1) fail("'learner.learner_model_param.num_feature' is 0")
  const numClass = param['num_class'] === undefined ? 0 : intField(param, 'num_class', 'learner.learner_model_param')
  if (param['num_target'] !== undefined && intField(param, 'num_target', 'learner.learner_model_param') > 1) {
    throw invalidParameter('XGBoost multi-target (num_target > 1) models are not supported; train one model per target.')
  }
  const groups = objective === 'multi:softprob' ? numClass : 1
  if (objective === 'multi:softprob' && numClass < 2) fail(`multi:softprob needs num_class ≥ 2, the file says ${numClass}`)
  const baseScore = numberField(param, 'base_score', 'learner.learner_model_param')
  const baseMargin = marginOf(objective, baseScore)

  const features = featureNames(learner, numFeature)
  const booster = obj(learner['gradient_booster'], "'learner.gradient_booster'")
  const name = booster['name']
  if (name !== 'gbtree') {
    throw invalidParameter(
      `XGBoost booster '${String(name)}' is not supported; keel imports 'gbtree' models (train with booster='gbtree', the default).`,
    )
  }
  const model = obj(booster['model'], "'learner.gradient_booster.model'")
  const rawTrees = model['trees']
  if (!Array.isArray(rawTrees)) fail("'gradient_booster.model.trees' is not an array")
  if (rawTrees.length === 0) fail('the model has no trees')
  if (rawTrees.length > MAX_TREES) fail(`${rawTrees.length} trees is more than keel accepts (${MAX_TREES})`)
  const info = numbers(model['tree_info'], "'gradient_booster.model.tree_info'")
  if (info.length !== rawTrees.length) fail(`'tree_info' has ${info.length} entries for ${rawTrees.length} trees`)
  const treeGroup = new Int32Array(info.length)
  for (let t = 0; t < info.length; t++) {
    const g = info[t]!
    if (!Number.isInteger(g) || g < 0 || g >= groups) fail(`tree ${t} belongs to output group ${g}, but the model has ${groups}`)
    treeGroup[t] = g
  }
  const trees = rawTrees.map((raw, t) => parseTree(raw, t, numFeature))
  return { objective, features, groups, baseScore, baseMargin, trees, treeGroup }
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    throw invalidParameter(
      `The XGBoost model file is not valid JSON (${detail}); it is truncated or corrupt, or it is a binary/UBJSON model. ` +
        "Re-save it with booster.save_model('model.json').",
    )
  }
}

function objectiveOf(learner: Obj): XgboostObjective {
  const name = obj(learner['objective'], "'learner.objective'")['name']
  if (typeof name !== 'string') fail("'learner.objective.name' is missing")
  if (!(XGBOOST_OBJECTIVES as readonly string[]).includes(name)) {
    throw invalidParameter(
      `XGBoost objective '${name}' is not supported. keel imports: ${XGBOOST_OBJECTIVES.join(', ')} ` +
        "(for multi:softmax, retrain with 'multi:softprob': the trees are the same, the output is probabilities).",
    )
  }
  return name as XgboostObjective
}

/** XGBoost keeps base_score in probability space for logistic objectives and adds its logit to the margin. */
function marginOf(objective: XgboostObjective, baseScore: number): number {
  if (objective !== 'binary:logistic') return Math.fround(baseScore)
  const p = Math.fround(baseScore)
  if (!(p > 0 && p < 1)) fail(`binary:logistic needs 0 < base_score < 1, the file says ${baseScore}`)
  return Math.fround(-Math.log(1 / p - 1))
}

function featureNames(learner: Obj, numFeature: number): string[] {
  const types = learner['feature_types']
  if (Array.isArray(types) && types.some((t) => t === 'c')) {
    throw invalidParameter('XGBoost models with categorical features (enable_categorical) are not supported; one-hot encode them before training.')
  }
  const names = learner['feature_names']
  // XGBoost names unnamed features f0, f1, ... in its own dumps; keel does the same.
  if (names === undefined || (Array.isArray(names) && names.length === 0)) return Array.from({ length: numFeature }, (_, i) => `f${i}`)
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== '')) fail("'learner.feature_names' is not a list of names")
  if (names.length !== numFeature) fail(`'learner.feature_names' has ${names.length} names for ${numFeature} features`)
  if (new Set(names).size !== names.length) fail("'learner.feature_names' repeats a name")
  return names as string[]
}

/** Validates one tree by walking it from the root (each node once, so cycles are impossible) and renumbers it. */
function parseTree(raw: unknown, t: number, numFeature: number): ShapTree {
  const tree = obj(raw, `tree ${t}`)
  const where = `tree ${t}`
  const left = numbers(tree['left_children'], `${where}.left_children`)
  const n = left.length
  if (n === 0 || n > MAX_NODES) fail(`${where} has ${n} nodes`)
  const field = (key: string): number[] => {
    const values = numbers(tree[key], `${where}.${key}`)
    if (values.length !== n) fail(`${where}.${key} has ${values.length} entries for ${n} nodes (truncated?)`)
    return values
  }
  const right = field('right_children')
  const splitIndex = field('split_indices')
  const condition = field('split_conditions')
  const defaultLeft = field('default_left')
  const hessian = field('sum_hessian')
  const splitType = tree['split_type']
  if (Array.isArray(splitType) && splitType.some((s) => s !== 0)) {
    throw invalidParameter(`XGBoost ${where} has categorical splits, which keel does not import; one-hot encode categorical features before training.`)
  }

  // Pre-order renumbering: old id → new id; the explicit stack is bounded by the node count.
  const order: number[] = []
  const seen = new Uint8Array(n)
  const stack = [0]
  while (stack.length > 0) {
    const k = stack.pop()!
    if (!Number.isInteger(k) || k < 0 || k >= n) fail(`${where} links to node ${k}, outside 0..${n - 1}`)
    if (seen[k] === 1) fail(`${where} reaches node ${k} twice (corrupt links)`)
    seen[k] = 1
    order.push(k)
    const l = left[k]!
    const r = right[k]!
    if (l === -1 && r === -1) continue
    if (l === -1 || r === -1) fail(`${where} node ${k} has one child only`)
    const f = splitIndex[k]!
    if (!Number.isInteger(f) || f < 0 || f >= numFeature) fail(`${where} node ${k} splits on feature ${f}, but the model has ${numFeature}`)
    stack.push(r, l)
  }
  const newId = new Int32Array(n).fill(-1)
  order.forEach((old, i) => (newId[old] = i))
  const m = order.length
  const out: ShapTree = {
    feature: new Int32Array(m),
    threshold: new Float64Array(m),
    left: new Int32Array(m),
    right: new Int32Array(m),
    missingGoesLeft: new Uint8Array(m),
    value: new Float64Array(m),
    cover: new Float64Array(m),
  }
  for (let i = 0; i < m; i++) {
    const k = order[i]!
    const c = Math.fround(condition[k]!)
    if (!Number.isFinite(c)) fail(`${where} node ${k} has a non-finite split condition`)
    out.cover[i] = hessian[k]!
    if (left[k] === -1) {
      // A leaf's output lives in split_conditions (already scaled by eta); base_weights is the unscaled weight.
      out.feature[i] = -1
      out.left[i] = -1
      out.right[i] = -1
      out.value[i] = c
    } else {
      out.feature[i] = splitIndex[k]!
      out.threshold[i] = c
      out.left[i] = newId[left[k]!]!
      out.right[i] = newId[right[k]!]!
      out.missingGoesLeft[i] = defaultLeft[k] === 1 ? 1 : 0
    }
  }
  return out
}

function obj(value: unknown, what: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is missing or not an object`)
  return value as Obj
}

/** Arrays of numbers; XGBoost writes default_left as 0/1 (older files: booleans). */
function numbers(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) fail(`${what} is missing or not an array`)
  const out = new Array<number>(value.length)
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i]
    if (typeof v === 'number') out[i] = v
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0
    else fail(`${what}[${i}] is not a number`)
  }
  return out
}

/** learner_model_param values are strings in XGBoost's JSON ("5E-1", "3"). */
function numberField(o: Obj, key: string, where: string): number {
  const raw = o[key]
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN
  if (!Number.isFinite(value)) fail(`'${where}.${key}' is missing or not a number`)
  return value
}

function intField(o: Obj, key: string, where: string): number {
  const value = numberField(o, key, where)
  if (!Number.isInteger(value) || value < 0) fail(`'${where}.${key}' is not a non-negative integer`)
  return value
}

/**
 * The inverse of `parseXgboostModel` for keel's saved state: a minimal document in XGBoost's own JSON layout,
 * so loading a saved model runs the same validation as importing one.
 */
export function xgboostModelToJson(model: XgboostModel): Obj {
  const trees = model.trees.map((t, id) => {
    const n = t.feature.length
    const leaf = (k: number): boolean => t.feature[k]! < 0
    return {
      id,
      left_children: Array.from(t.left, (v, k) => (leaf(k) ? -1 : v)),
      right_children: Array.from(t.right, (v, k) => (leaf(k) ? -1 : v)),
      split_indices: Array.from(t.feature, (f) => Math.max(f, 0)),
      split_conditions: Array.from({ length: n }, (_, k) => (leaf(k) ? t.value[k]! : t.threshold[k]!)),
      default_left: Array.from(t.missingGoesLeft),
      sum_hessian: Array.from(t.cover),
      split_type: new Array<number>(n).fill(0),
    }
  })
  return {
    learner: {
      feature_names: [...model.features],
      learner_model_param: {
        base_score: String(model.baseScore),
        num_class: String(model.objective === 'multi:softprob' ? model.groups : 0),
        num_feature: String(model.features.length),
      },
      objective: { name: model.objective },
      gradient_booster: { name: 'gbtree', model: { tree_info: Array.from(model.treeGroup), trees } },
    },
  }
}
