import type { Alert, DatasetDriftResult, DriftColumnResult, MonitorMetric, MonitorWindow } from '../types.js'
import type { FiredAlert } from '../alerts.js'
import type { ReportableRun } from './json-report.js'

export const EVIL = '<script>alert(1)</script>'
const T0 = Date.UTC(2025, 0, 1)

function column(name: string, drifted: boolean, score: number, kind: 'numeric' | 'categorical' = 'numeric'): DriftColumnResult {
  const histogram =
    kind === 'numeric'
      ? { bins: [0, 1, 2, 3, 4], reference: [0.1, 0.4, 0.4, 0.1], current: drifted ? [0.05, 0.1, 0.35, 0.5] : [0.12, 0.38, 0.4, 0.1] }
      : { bins: ['DE', 'FR', `it${EVIL}`], reference: [0.5, 0.3, 0.2], current: [0.48, 0.32, 0.2] }
  return {
    column: name,
    kind,
    test: kind === 'numeric' ? 'wasserstein' : 'jensenshannon',
    score,
    threshold: 0.1,
    scoreKind: 'distance',
    drifted,
    referenceRows: 5000,
    currentRows: 20_000,
    histogram,
  }
}

function drift(columns: DriftColumnResult[], shareThreshold = 0.25): DatasetDriftResult {
  const drifted = columns.filter((c) => c.drifted).length
  return { columns, driftedColumns: drifted, share: drifted / columns.length, shareThreshold, drifted: drifted / columns.length >= shareThreshold, correction: 'none' }
}

/** A two-window run: window 1 clean, window 2 with `amount` and `velocity` drifted; a hostile column name. */
export function fixtureRun(): ReportableRun {
  const w1: MonitorWindow = { index: 0, from: T0, to: T0 + 3_600_000, rows: 20_000 }
  const w2: MonitorWindow = { index: 1, from: T0 + 3_600_000, to: T0 + 7_200_000, rows: 20_000 }
  const names = ['age', 'amount', 'balance', 'score', 'tenure', 'velocity']
  const d1 = drift([...names.map((n) => column(n, false, 0.01)), column(EVIL, false, 0.02, 'categorical')])
  const d2 = drift([
    ...names.map((n) => (n === 'amount' || n === 'velocity' ? column(n, true, n === 'amount' ? 0.9 : 0.6) : column(n, false, 0.02))),
    column(EVIL, false, Number.NaN, 'categorical'),
  ])
  const metrics: MonitorMetric[] = [
    { name: 'drift.share', value: d1.share, window: w1 },
    { name: 'drift.share', value: d2.share, window: w2 },
    { name: 'performance.roc_auc', value: 0.91, window: w1 },
    { name: 'performance.roc_auc', value: 0.74, window: w2 },
    { name: 'estimated.roc_auc', value: 0.9, window: w1 },
    { name: 'estimated.roc_auc', value: 0.85, window: w2 },
    // Counts travel with the metrics (performance.ts adds them); they are not performance to chart.
    { name: 'performance.labelled', value: 20_000, window: w1 },
    { name: 'estimated.rows', value: 20_000, window: w2 },
    { name: 'quality.missing.amount', value: 0, window: w1 },
    { name: 'quality.missing.amount', value: 0.02, window: w2 },
    { name: 'quality.out_of_range.a.b', value: 0.5, window: w2 },
    { name: 'quality.new_categories.' + EVIL, value: 3, window: w2 },
  ]
  const outputs = (drifted: boolean): DatasetDriftResult => drift([column('probability_1', drifted, drifted ? 0.4 : 0.01), column('prediction', false, 0.02, 'categorical')], 0.5)
  const alert: Alert & { actions: FiredAlert['actions'] } = {
    id: 'alert-1',
    rule: `dataset-drift ${EVIL}`,
    model: 'fraud',
    version: '1',
    metric: 'drift.share',
    value: d2.share,
    threshold: 0.25,
    severity: 'critical',
    window: w2,
    firedAt: T0 + 7_300_000,
    actions: [
      { kind: 'webhook', url: `http://127.0.0.1:9/hook?a=1&b=${EVIL}`, delivered: true, attempts: 1, status: 204 },
      { kind: 'retrain', pipeline: 'fraud-train', emitted: false, error: 'no onRetrain consumer' },
    ],
  }
  return {
    id: 'monitor-1',
    model: `fraud & <b>co</b>`,
    modelUri: 'models:/fraud@champion',
    referenceVersion: '1',
    referenceRows: 5000,
    trackingRunId: 'run-abc',
    versions: ['1'],
    deployment: 'fraud',
    windowSpec: { kind: 'count', size: 20_000 },
    createdAt: T0 + 7_300_000,
    windows: [
      { window: w1, drift: d1, outputDrift: outputs(false), labels: 20_000 },
      { window: w2, drift: d2, outputDrift: outputs(true), labels: 20_000 },
    ],
    metrics,
    alerts: [alert],
  }
}
