/**
 * The shared vocabulary of `src/monitoring/`: profiles summarise data (mergeable), drift tests compare a
 * reference with a current sample, windows cut captured predictions, feedback brings true outcomes, rules turn
 * results into alerts. Everything here is plain data (JSON-serialisable) so it can be stored and sent.
 */

export type ColumnKind = 'numeric' | 'categorical'

/** One column's mergeable summary (see profile.ts): exact counts and moments, sketches for the rest. */
export interface ColumnProfile {
  name: string
  kind: ColumnKind
  /** Rows seen, including missing. */
  count: number
  missing: number
  /** Numeric only (NaN when no value). */
  min: number
  max: number
  mean: number
  /** Sum of squared deviations from the mean (Welford's M2); variance = m2 / (count − missing − typeMismatches − 1) (`columnVariance`). */
  m2: number
  /** Values that were not of the column's kind (a string in a numeric column), counted, not summarised. */
  typeMismatches: number
  /** Serialised KLL quantile sketch (numeric). */
  quantiles?: SerializedSketch
  /** Serialised HyperLogLog (distinct count estimate). */
  distinct?: SerializedSketch
  /** Serialised frequent-items sketch (categorical; numeric columns with few distinct values too). */
  frequent?: SerializedSketch
}

export interface SerializedSketch {
  kind: 'kll' | 'hll' | 'frequent-items'
  /** The sketch's own JSON state; its module reads it back. */
  state: unknown
}

export interface DatasetProfile {
  /** Rows profiled. */
  rows: number
  columns: ColumnProfile[]
  /** Epoch ms of the first and last row when known (windows). */
  from?: number
  to?: number
}

/** A drift test by its registered name (ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, hellinger, anderson). */
export type DriftTestName = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl_div' | 'hellinger' | 'anderson'

export interface DriftColumnResult {
  column: string
  kind: ColumnKind
  test: DriftTestName
  /** p-value for hypothesis tests, distance for distance measures. */
  score: number
  threshold: number
  /** 'p_value' → drift when score < threshold (ks: ≤, as Evidently's code); 'distance' → drift when score ≥ threshold. */
  scoreKind: 'p_value' | 'distance'
  drifted: boolean
  referenceRows: number
  currentRows: number
  /** Histogram both samples were compared on (for reports): bin edges or categories, and shares. */
  histogram?: { bins: Array<number | string>; reference: number[]; current: number[] }
}

export interface DatasetDriftResult {
  columns: DriftColumnResult[]
  driftedColumns: number
  share: number
  /** Share of drifted columns at or above which the dataset counts as drifted (default 0.5). */
  shareThreshold: number
  drifted: boolean
  correction: 'none' | 'bonferroni' | 'fdr'
}

/** A slice of captured predictions: by time ([from, to)) or by count (rows). */
export interface WindowSpec {
  kind: 'time' | 'count'
  /** Window length in ms (time) or rows (count). */
  size: number
}

export interface MonitorWindow {
  index: number
  from: number
  to: number
  rows: number
}

/** A true outcome for a prediction id, posted any time after the prediction. */
export interface FeedbackRecord {
  predictionId: string
  /** The label (class as string, or number for regression). */
  outcome: number | string
  /** Epoch ms when keel received it. */
  receivedAt: number
}

export type Severity = 'info' | 'warning' | 'critical'

/** A metric one monitor run produced, that rules can compare (e.g. `drift.share`, `drift.column.amount`, `quality.missing.amount`, `performance.roc_auc`, `estimated.roc_auc`). */
export interface MonitorMetric {
  name: string
  value: number
  window: MonitorWindow
}

export interface AlertRule {
  name: string
  /** A MonitorMetric name. */
  metric: string
  comparison: '>' | '>=' | '<' | '<='
  threshold: number
  severity: Severity
  /** No second alert for the same rule and model within this many ms. */
  cooldownMs: number
  /** What firing does besides storing the alert and logging it. */
  actions: Array<{ kind: 'webhook'; url: string; secret?: string } | { kind: 'retrain'; pipeline: string }>
}

export interface Alert {
  id: string
  rule: string
  model: string
  version: string
  metric: string
  value: number
  threshold: number
  severity: Severity
  window: MonitorWindow
  firedAt: number
}
