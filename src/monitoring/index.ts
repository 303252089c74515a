/**
 * keel's monitoring: reference profiles saved with every version, drift tests (Evidently's defaults), data
 * quality and performance (realized with delayed labels, CBPE-estimated before) over windows of captured
 * predictions, alert rules with cooldowns and actions, and reports. `runMonitor` ties them together.
 */
export type {
  Alert,
  AlertRule,
  ColumnKind as MonitorColumnKind,
  ColumnProfile as MonitorColumnProfile,
  DatasetDriftResult,
  DatasetProfile,
  DriftColumnResult,
  DriftTestName,
  FeedbackRecord,
  MonitorMetric,
  MonitorWindow,
  SerializedSketch,
  Severity,
  WindowSpec,
} from './types.js'
export type { PredictionQuery, PredictionRecord, PredictionStore } from './prediction-store.js'
export type { AlertQuery, AppendFeedbackResult, FeedbackQuery, MonitoringStore } from './monitoring-store.js'
export { ProfileBuilder, columnDistinct, columnFrequent, columnQuantiles, mergeProfiles, profileFrame } from './profile.js'
export type { ProfileOptions } from './profile.js'
export { loadReference, referenceOutputs, saveReference, saveReferenceForVersion } from './reference.js'
export type { Reference, ReferenceOptions, SavedReference } from './reference.js'
export { DRIFT_TESTS, detectDrift, detectDriftParallel } from './drift/index.js'
export type { ColumnDriftOptions, DriftOptions } from './drift/index.js'
export { dataQuality } from './quality.js'
export { estimateCbpe, realizedPerformance } from './performance.js'
export { renderHtmlReport, reportJson } from './report/index.js'
export type { MonitorReport, ReportableRun, ReportOptions } from './report/index.js'
export { DEFAULT_MIN_LABELS, MONITOR_RUN_ARTIFACT, runMonitor } from './monitor.js'
export type { MonitorOptions, MonitorRun, MonitorWindowResult } from './monitor.js'
export type { MonitorAnalysis, Task as MonitorTask } from './monitor-analysis.js'
export { formatWindowSpec, parseWindowSpec, readWindows } from './windows.js'
export type { PredictionWindow, ReadWindowsOptions } from './windows.js'
export { alertToWire, evaluateRules, ruleBreached } from './alerts.js'
export type { ActionResult, AlertContext, FiredAlert, RetrainEvent, WebhookRetryOptions } from './alerts.js'
export { parseMonitorConfig, parseRules, readMonitorConfig, readRules } from './monitor-config.js'
export type { MonitorConfig, MonitorDriftConfig } from './monitor-config.js'
