import type { ActionResult } from '../alerts.js'
import type { Alert, ColumnKind, DatasetDriftResult, DriftColumnResult, MonitorMetric, MonitorWindow, WindowSpec } from '../types.js'

/**
 * What a report needs of a monitor run; `MonitorRun` (monitor.ts) satisfies it as is. The report depends on this
 * small shape only: per-window drift results plus the run's metrics (quality and performance are read from the
 * metric names types.ts fixes: `quality.<check>.<column>`, `performance.<m>`, `estimated.<m>`), so a run read
 * back from `monitoring/monitor-run.json` renders too.
 */
export interface ReportableRun {
  id?: string
  model: string
  modelUri?: string
  referenceVersion?: string
  referenceRows?: number
  trackingRunId?: string
  versions: readonly string[]
  deployment?: string
  windowSpec?: WindowSpec
  /** Epoch ms the run was made (shown; the report itself never reads the clock). */
  createdAt?: number
  windows: ReadonlyArray<{ window: MonitorWindow; drift?: DatasetDriftResult; outputDrift?: DatasetDriftResult; labels?: number }>
  metrics: readonly MonitorMetric[]
  alerts: ReadonlyArray<Alert & { actions?: readonly ActionResult[] }>
}

export interface ReportFeatureWindow {
  window: number
  test: string
  score: number | null
  threshold: number
  scoreKind: 'p_value' | 'distance'
  drifted: boolean
}

export interface ReportFeature {
  column: string
  kind: ColumnKind
  /** The result in the report's focus window (the last one with drift results), with its histogram. */
  focus: (ReportFeatureWindow & { referenceRows: number; currentRows: number; histogram?: DriftColumnResult['histogram'] }) | null
  /** One entry per window (null where the column was not tested). */
  windows: Array<ReportFeatureWindow | null>
}

export interface ReportWindow {
  index: number
  from: number
  to: number
  rows: number
  labels: number | null
  drift: { share: number; shareThreshold: number; drifted: boolean; driftedColumns: string[]; correction: string } | null
  /** Realized metrics (`performance.*`) where labels exist, and the CBPE estimate (`estimated.*`). */
  performance: Record<string, number | null>
  estimated: Record<string, number | null>
}

/** The report's content as plain JSON (non-finite numbers become null); the HTML report renders exactly this. */
export interface MonitorReport {
  format: 'keel.monitor-report'
  formatVersion: 1
  model: string
  versions: string[]
  deployment: string | null
  windowSpec: WindowSpec | null
  createdAt: number | null
  runId: string | null
  modelUri: string | null
  referenceVersion: string | null
  referenceRows: number | null
  trackingRunId: string | null
  summary: {
    windows: number
    rows: number
    focusWindow: number | null
    datasetDrift: boolean | null
    driftShare: number | null
    shareThreshold: number | null
    driftedColumns: string[]
    driftedWindows: number
    alerts: number
  }
  windows: ReportWindow[]
  /** Sorted: drifted in the focus window first, then drifted in any window, then by name. */
  features: ReportFeature[]
  /** The model's outputs (`prediction`, `probability_*`) against the reference's, same layout as `features`. */
  outputs: ReportFeature[]
  /** Per column and check, one value per window (null where absent). */
  quality: Array<{ column: string; check: string; values: Array<number | null> }>
  alerts: Array<Alert & { actions: ActionResult[] }>
}

export interface ReportOptions {
  /** The window whose per-feature results and histograms are shown (default: the last with drift results). */
  focusWindow?: number
}

/** The report's content as a JSON-serialisable object. */
export function reportJson(run: ReportableRun, options: ReportOptions = {}): MonitorReport {
  const windows = run.windows.map((w) => w.window.index)
  const position = new Map(windows.map((index, i) => [index, i]))
  const focus = focusWindowOf(run, options.focusWindow)
  const focusEntry = run.windows.find((w) => w.window.index === focus)
  const reportWindows = run.windows.map((w): ReportWindow => {
    const drift = w.drift
    return {
      index: w.window.index,
      from: w.window.from,
      to: w.window.to,
      rows: w.window.rows,
      labels: w.labels ?? null,
      drift:
        drift === undefined
          ? null
          : {
              share: drift.share,
              shareThreshold: drift.shareThreshold,
              drifted: drift.drifted,
              driftedColumns: drift.columns.filter((c) => c.drifted).map((c) => c.column),
              correction: drift.correction,
            },
      performance: prefixed(run.metrics, 'performance.', w.window.index),
      estimated: prefixed(run.metrics, 'estimated.', w.window.index),
    }
  })
  const features = featuresOf(run, position, focus, (w) => w.drift)
  const outputs = featuresOf(run, position, focus, (w) => w.outputDrift)
  const focusDrift = focusEntry?.drift
  return {
    format: 'keel.monitor-report',
    formatVersion: 1,
    model: run.model,
    versions: [...run.versions],
    deployment: run.deployment ?? null,
    windowSpec: run.windowSpec ?? null,
    createdAt: run.createdAt ?? null,
    runId: run.id ?? null,
    modelUri: run.modelUri ?? null,
    referenceVersion: run.referenceVersion ?? null,
    referenceRows: run.referenceRows ?? null,
    trackingRunId: run.trackingRunId ?? null,
    summary: {
      windows: run.windows.length,
      rows: run.windows.reduce((sum, w) => sum + w.window.rows, 0),
      focusWindow: focus ?? null,
      datasetDrift: focusDrift?.drifted ?? null,
      driftShare: finiteOrNull(focusDrift?.share),
      shareThreshold: finiteOrNull(focusDrift?.shareThreshold),
      driftedColumns: focusDrift === undefined ? [] : focusDrift.columns.filter((c) => c.drifted).map((c) => c.column),
      driftedWindows: run.windows.filter((w) => w.drift?.drifted === true).length,
      alerts: run.alerts.length,
    },
    windows: reportWindows,
    features,
    outputs,
    quality: qualityOf(run.metrics, position),
    alerts: run.alerts.map((a) => ({ ...a, window: { ...a.window }, actions: (a.actions ?? []).map((x) => ({ ...x })) })),
  }
}

function focusWindowOf(run: ReportableRun, requested: number | undefined): number | undefined {
  if (requested !== undefined) return run.windows.some((w) => w.window.index === requested) ? requested : undefined
  for (let i = run.windows.length - 1; i >= 0; i--) if (run.windows[i]!.drift !== undefined) return run.windows[i]!.window.index
  return run.windows.at(-1)?.window.index
}

type RunWindow = ReportableRun['windows'][number]

function featuresOf(run: ReportableRun, position: Map<number, number>, focus: number | undefined, driftOf: (w: RunWindow) => DatasetDriftResult | undefined): ReportFeature[] {
  const byColumn = new Map<string, ReportFeature>()
  for (const w of run.windows) {
    const at = position.get(w.window.index)!
    for (const c of driftOf(w)?.columns ?? []) {
      let feature = byColumn.get(c.column)
      if (feature === undefined) {
        feature = { column: c.column, kind: c.kind, focus: null, windows: run.windows.map(() => null) }
        byColumn.set(c.column, feature)
      }
      const entry: ReportFeatureWindow = { window: w.window.index, test: c.test, score: finiteOrNull(c.score), threshold: c.threshold, scoreKind: c.scoreKind, drifted: c.drifted }
      feature.windows[at] = entry
      if (w.window.index === focus) {
        feature.focus = { ...entry, referenceRows: c.referenceRows, currentRows: c.currentRows }
        if (c.histogram !== undefined) feature.focus.histogram = { bins: [...c.histogram.bins], reference: [...c.histogram.reference], current: [...c.histogram.current] }
      }
    }
  }
  const rank = (f: ReportFeature): number => (f.focus?.drifted === true ? 0 : f.windows.some((w) => w?.drifted === true) ? 1 : 2)
  return [...byColumn.values()].sort((a, b) => rank(a) - rank(b) || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0))
}

function prefixed(metrics: readonly MonitorMetric[], prefix: string, window: number): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const m of metrics) if (m.window.index === window && m.name.startsWith(prefix)) out[m.name.slice(prefix.length)] = finiteOrNull(m.value)
  return out
}

/** `quality.<check>.<column>` metrics (the column may itself contain dots) as a column × check × window table. */
function qualityOf(metrics: readonly MonitorMetric[], position: Map<number, number>): MonitorReport['quality'] {
  const rows = new Map<string, { column: string; check: string; values: Array<number | null> }>()
  for (const m of metrics) {
    if (!m.name.startsWith('quality.')) continue
    const rest = m.name.slice('quality.'.length)
    const dot = rest.indexOf('.')
    const check = dot < 0 ? rest : rest.slice(0, dot)
    const column = dot < 0 ? '(dataset)' : rest.slice(dot + 1)
    const at = position.get(m.window.index)
    if (at === undefined) continue
    const key = `${column}\u0000${check}`
    let row = rows.get(key)
    if (row === undefined) {
      row = { column, check, values: Array.from({ length: position.size }, () => null) }
      rows.set(key, row)
    }
    row.values[at] = finiteOrNull(m.value)
  }
  return [...rows.values()].sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : a.check < b.check ? -1 : a.check > b.check ? 1 : 0))
}

function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null
}
