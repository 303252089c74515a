/**
 * Tracked training: one spec (YAML/JSON or an object) → data read, validated, split, featurised, fitted,
 * evaluated and logged into one run, optionally registered behind a gate; and loading the result back.
 * @example
 * const result = await train({ data: { path: 'fraud.csv' }, target: 'is_fraud', algorithm: { name: 'logistic' },
 *   features: { steps: [{ type: 'standardScale', columns: { kind: 'numeric' } }] },
 *   register: { name: 'fraud', alias: 'champion' } }, { keel })
 * const model = await loadTrainedModel(keel, 'models:/fraud@champion')
 */
export { train } from './train.js'
export type { TrainOptions, TrainResult, TrainingProgress, TrainingStage } from './train.js'
export { parseTrainingSpec, readTrainingSpec, trainingSpecSchema } from './spec.js'
export type { TrainingSpec, TrainingSpecInput } from './spec.js'
export { registerFromRun } from './register.js'
export type { GateSpec, RegisterFromRunOptions, RegisterFromRunResult } from './register.js'
export { loadTrainedModel } from './load-trained-model.js'
export { PipelinePredictor, MANIFEST_FILE, MODEL_DIR } from './trained-model.js'
export type { ModelManifest, TrainedModel } from './trained-model.js'
export type { SearchSummary } from './search.js'
export { explainRows, loadGlobalImportance } from './explain-rows.js'
export type { OutputExplanation, RowExplanations } from './explain-rows.js'
export { computeGlobalImportance, importanceSvg, TOP_FEATURES_TAG, EXPLANATIONS_DIR, IMPORTANCE_FILE, IMPORTANCE_CHART_FILE } from './explanations.js'
export type { StoredImportance } from './explanations.js'
