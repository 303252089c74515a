import type { Keel } from '../client/keel.js'
import { invalidParameter, isKeelError } from '../core/errors.js'
import { greaterIsBetter } from '../evaluation/evaluate.js'
import { gate, type GateResult, type MetricThreshold } from '../evaluation/gate.js'
import type { ModelVersion } from '../registry/types.js'
import { TOP_FEATURES_TAG } from './explanations.js'
import { checkManifest, MANIFEST_FILE, MODEL_DIR, readJsonArtifact, type ModelManifest } from './trained-model.js'

export interface GateSpec {
  /** Alias of the version to compare against (default: the alias being moved). */
  baseline?: string | undefined
  metrics: Record<string, { threshold?: number | undefined; minAbsoluteChange?: number | undefined; minRelativeChange?: number | undefined; greaterIsBetter?: boolean | undefined }>
}

export interface RegisterFromRunOptions {
  name: string
  /** Moved to the new version unless the gate fails. */
  alias?: string
  description?: string
  tags?: Record<string, string>
  /** Thresholds on the holdout metrics (names without `test_`), against absolute values and/or the baseline. */
  gate?: GateSpec
  /** Known already when called from train(); read from the run otherwise. */
  manifest?: ModelManifest
  datasetDigest?: string
  metrics?: Record<string, number>
  /** The run's top features (tag `keel.explain.top_features`); read from the run when absent. */
  topFeatures?: string
}

export interface RegisterFromRunResult {
  version: ModelVersion
  aliasMoved: boolean
  gate?: GateResult & { baselineVersion?: string }
}

/**
 * Registers the model a run logged under `model/` as a new version with lineage (signature, input example,
 * dataset digest; the client adds the artifact digest, code version and environment), then moves `alias`
 * unless a gate is given and fails — the version is registered either way, so a failed candidate stays inspectable.
 */
export async function registerFromRun(keel: Keel, runId: string, options: RegisterFromRunOptions): Promise<RegisterFromRunResult> {
  const run = await keel.tracking.getRun(runId)
  const source = `${run.info.artifactUri}/${MODEL_DIR}`
  const manifest = options.manifest ?? checkManifest(await readJsonArtifact(keel.artifacts, source, MANIFEST_FILE), source)
  const metrics = options.metrics ?? unprefixed(run.data.metrics.map((m) => [m.key, m.value]))
  // The version carries the run's explanations (they live in model/); the tag makes the top ones searchable.
  const topFeatures = options.topFeatures ?? run.data.tags.find((t) => t.key === TOP_FEATURES_TAG)?.value

  let gateResult: RegisterFromRunResult['gate']
  if (options.gate !== undefined) {
    const baselineAlias = options.gate.baseline ?? options.alias
    const baseline = baselineAlias === undefined ? undefined : await baselineMetrics(keel, options.name, baselineAlias)
    const thresholds: Record<string, MetricThreshold> = {}
    for (const [metric, t] of Object.entries(options.gate.metrics)) {
      const threshold: MetricThreshold = { greaterIsBetter: t.greaterIsBetter ?? greaterIsBetter(metric) }
      if (t.threshold !== undefined) threshold.threshold = t.threshold
      if (t.minAbsoluteChange !== undefined) threshold.minAbsoluteChange = t.minAbsoluteChange
      if (t.minRelativeChange !== undefined) threshold.minRelativeChange = t.minRelativeChange
      thresholds[metric] = threshold
    }
    const result = gate(metrics, thresholds, baseline?.metrics)
    gateResult = baseline === undefined ? result : { ...result, baselineVersion: baseline.version }
  }

  const lineage: NonNullable<Parameters<Keel['registerModel']>[0]['lineage']> = {
    signature: { inputs: manifest.inputs, outputs: manifest.outputs },
    inputExample: manifest.inputExample,
  }
  if (options.datasetDigest !== undefined) lineage.datasetDigest = options.datasetDigest
  const version = await keel.registerModel({
    name: options.name,
    runId,
    artifactPath: MODEL_DIR,
    lineage,
    tags: {
      ...options.tags,
      ...(topFeatures === undefined ? {} : { [TOP_FEATURES_TAG]: topFeatures }),
      ...(gateResult === undefined ? {} : { 'keel.gate.passed': String(gateResult.passed) }),
    },
    ...(options.description === undefined ? {} : { description: options.description }),
  })
  let aliasMoved = false
  if (options.alias !== undefined && (gateResult === undefined || gateResult.passed)) {
    await keel.setAlias(options.name, options.alias, version.version)
    aliasMoved = true
  }
  const out: RegisterFromRunResult = { version, aliasMoved }
  if (gateResult !== undefined) out.gate = gateResult
  return out
}

/** The holdout metrics of the run behind `name@alias`; undefined when the alias is not set yet. */
async function baselineMetrics(keel: Keel, name: string, alias: string): Promise<{ version: string; metrics: Record<string, number> } | undefined> {
  let version: ModelVersion
  try {
    version = await keel.resolve(`models:/${name}@${alias}`)
  } catch (error) {
    if (isKeelError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined
    throw error
  }
  if (version.runId === '') {
    throw invalidParameter(`gate.baseline: ${name}@${alias} (version ${version.version}) has no run, so it has no metrics to compare with; pick another baseline alias.`)
  }
  const run = await keel.tracking.getRun(version.runId)
  return { version: version.version, metrics: unprefixed(run.data.metrics.map((m) => [m.key, m.value])) }
}

/** `test_roc_auc` → `roc_auc`: gates name holdout metrics as evaluateClassifier/evaluateRegressor do. */
function unprefixed(entries: Array<[string, number]>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [key, value] of entries) if (key.startsWith('test_')) out[key.slice(5)] = value
  return out
}
