export type { Numbers } from './input.js'
export { accuracy, classificationReport, confusionMatrix, f1, precision, precisionRecallF1, recall } from './classification-metrics.js'
export type { Average, ClassificationReport, ClassReportRow, ConfusionMatrix, LabelMetricOptions, Prf, PrfOptions } from './classification-metrics.js'
export { brierScore, logLoss } from './probability-metrics.js'
export { averagePrecision, rocAuc } from './ranking-metrics.js'
export type { RankingOptions } from './ranking-metrics.js'
export { calibrationCurve } from './calibration-curve.js'
export type { CalibrationCurve, CalibrationOptions } from './calibration-curve.js'
export {
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from './regression-metrics.js'
export type { RegressionOptions } from './regression-metrics.js'
export { evaluateClassifier, evaluateRegressor, greaterIsBetter } from './evaluate.js'
export type { ClassifierEvaluation, ClassifierEvaluationInput, RegressorEvaluation } from './evaluate.js'
export { holdout, kFold, kFoldAssignment, splitsFromAssignment, stratifiedKFold, stratifiedKFoldAssignment } from './splitters.js'
export type { HoldoutOptions, KFoldOptions, Split as IndexSplit } from './splitters.js'
export { crossValidate, evaluatePredictor } from './cross-validate.js'
export type { CrossValidateOptions, CrossValidationResult, FitContextForFold, FitFn, FoldResult } from './cross-validate.js'
export { choice, gridPoints, intRange, logUniform, samplePoints, uniform } from './search-space.js'
export type { Distribution, Params, ParamValue as SearchParamValue, SearchSpace } from './search-space.js'
export { gridSearch, randomSearch, successiveHalving } from './search.js'
export type { HalvingOptions, HalvingResource, SearchFitFn, SearchOptions, SearchResult, Trial, TrialEvaluation } from './search.js'
export type { TrialInfo, TrialLogger, TrialRun } from './trial-logger.js'
export { trialLoggerFor } from './keel-trial-logger.js'
export type { KeelTrialLoggerOptions } from './keel-trial-logger.js'
export { gate } from './gate.js'
export type { GateMetricResult, GateResult, MetricThreshold } from './gate.js'
export * from './explain/index.js'
