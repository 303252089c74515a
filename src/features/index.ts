/**
 * Feature pipelines: fitted transforms that apply identically to a whole Frame and to one JSON row.
 * @example
 * const fitted = new Pipeline([{ type: 'impute', columns: { kind: 'numeric' }, strategy: 'median' },
 *   { type: 'oneHot', columns: { kind: 'categorical' }, handleUnknown: 'ignore' }]).fit(train, 'label')
 * const x = fitted.transformRow({ age: 31, city: 'Oslo' })
 */
export { Pipeline, FittedPipeline, loadPipeline } from './pipeline.js'
export type { FeatureRecord, PipelineOptions, PipelineInput, SavedPipeline } from './pipeline.js'
export { FittedTransform, fitTransform } from './fitted-transform.js'
export type { TransformSpec, TransformOutput } from './fitted-transform.js'
export type { ColumnSelector } from './column-selector.js'
export type { ColumnKind, ColumnStep, RowRegisters } from './column-step.js'
export { createRegisters } from './column-step.js'
export type { ImputeSpec, ImputeStrategy } from './impute.js'
export type { StandardScaleSpec, MinMaxScaleSpec, RobustScaleSpec } from './scale.js'
export type { OneHotSpec, UnknownPolicy, MissingPolicy } from './one-hot.js'
export { MISSING_LEVEL, INFREQUENT_LEVEL } from './one-hot.js'
export type { OrdinalSpec } from './ordinal.js'
export type { TargetEncodeSpec } from './target-encode.js'
export type { LogSpec, ClipSpec } from './log-clip.js'
