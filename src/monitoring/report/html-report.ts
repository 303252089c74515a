import { reportJson } from './json-report.js'
import type { MonitorReport, ReportableRun, ReportFeature, ReportOptions } from './json-report.js'
import { escapeXml as esc, formatNumber as num, histogramChart, lineChart } from './svg-charts.js'

/**
 * One self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched: a CSP forbids it) showing a
 * monitor run: summary, per-feature drift, distributions, drift share and performance over windows, data
 * quality and alerts. It renders `reportJson(run)`, so the HTML and the JSON always say the same thing.
 */
export function renderHtmlReport(run: ReportableRun, options: ReportOptions = {}): string {
  return renderReport(reportJson(run, options))
}

/** Renders an already built report (e.g. one read back from JSON). */
export function renderReport(report: MonitorReport): string {
  const title = `Monitoring report: ${report.model}`
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${esc(title)}</h1>`,
    summarySection(report),
    overTimeSection(report),
    featuresSection(report),
    distributionsSection(report),
    outputsSection(report),
    qualitySection(report),
    alertsSection(report),
    `<footer>keel monitoring report, format ${report.formatVersion}${report.createdAt === null ? '' : `, run at ${esc(iso(report.createdAt))}`}</footer>`,
    '</body></html>',
    '',
  ].join('\n')
}

function summarySection(r: MonitorReport): string {
  const s = r.summary
  const focus = r.windows.find((w) => w.index === s.focusWindow)
  const verdict =
    s.datasetDrift === null
      ? '<span class="badge muted">no drift results</span>'
      : s.datasetDrift
        ? '<span class="badge bad">dataset drift detected</span>'
        : '<span class="badge ok">no dataset drift</span>'
  const tested = r.features.filter((f) => f.focus !== null).length
  const rows: Array<[string, string]> = [
    ['Model', esc(r.model) + (r.modelUri === null ? '' : ` (<code>${esc(r.modelUri)}</code>)`)],
    ['Versions served', esc(r.versions.join(', ') || '—')],
    ['Reference', r.referenceVersion === null ? '—' : `version ${esc(r.referenceVersion)}${r.referenceRows === null ? '' : `, ${num(r.referenceRows)} sample rows`}`],
    ['Deployment', esc(r.deployment ?? '—')],
    ['Windows', `${s.windows} (${esc(windowSpecText(r))}), ${num(s.rows)} predictions`],
    ['Focus window', focus === undefined ? '—' : `#${focus.index}: ${esc(iso(focus.from))} → ${esc(iso(focus.to))}, ${num(focus.rows)} rows`],
    ['Dataset drift', verdict],
    [
      'Drifted columns',
      s.driftShare === null
        ? '—'
        : `${s.driftedColumns.length} of ${tested} (share ${num(s.driftShare)}, threshold ${num(s.shareThreshold)})` +
          (s.driftedColumns.length > 0 ? `: ${s.driftedColumns.map((c) => `<code>${esc(c)}</code>`).join(', ')}` : ''),
    ],
    ['Windows with dataset drift', String(s.driftedWindows)],
    ['Alerts fired', s.alerts === 0 ? '0' : `<span class="badge bad">${s.alerts}</span>`],
  ]
  if (r.trackingRunId !== null) rows.push(['Tracking run', `<code>${esc(r.trackingRunId)}</code> (experiment <code>monitoring</code>)`])
  return `<section id="summary"><h2>Summary</h2><table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table></section>`
}

function overTimeSection(r: MonitorReport): string {
  const labels = r.windows.map((w) => `#${w.index}`)
  const parts = ['<section id="over-time"><h2>Over windows</h2>', '<div class="charts">']
  const threshold = r.windows.find((w) => w.drift !== null)?.drift?.shareThreshold
  parts.push(
    lineChart({
      title: 'Share of drifted columns',
      xLabels: labels,
      series: [{ name: 'drift share', values: r.windows.map((w) => w.drift?.share ?? null) }],
      ...(threshold === undefined ? {} : { reference: { value: threshold, label: `threshold ${num(threshold)}` } }),
      yMin: 0,
      yMax: 1,
    }),
  )
  for (const metric of performanceMetrics(r)) {
    parts.push(
      lineChart({
        title: `Performance: ${metric}`,
        xLabels: labels,
        series: [
          { name: 'realized', values: r.windows.map((w) => w.performance[metric] ?? null) },
          { name: 'estimated', values: r.windows.map((w) => w.estimated[metric] ?? null) },
        ],
      }),
    )
  }
  parts.push('</div>')
  const head = '<tr><th>Window</th><th>From</th><th>To</th><th>Rows</th><th>Labels</th><th>Drift share</th><th>Dataset drift</th><th>Drifted columns</th></tr>'
  const body = r.windows
    .map(
      (w) =>
        `<tr><td>#${w.index}</td><td>${esc(iso(w.from))}</td><td>${esc(iso(w.to))}</td><td class="n">${num(w.rows)}</td>` +
        `<td class="n">${w.labels === null ? '—' : num(w.labels)}</td><td class="n">${num(w.drift?.share)}</td>` +
        `<td>${w.drift === null ? '—' : w.drift.drifted ? '<span class="badge bad">yes</span>' : 'no'}</td>` +
        `<td>${(w.drift?.driftedColumns ?? []).map((c) => `<code>${esc(c)}</code>`).join(', ')}</td></tr>`,
    )
    .join('')
  parts.push(`<table>${head}${body}</table></section>`)
  return parts.join('\n')
}

/** Counts that travel with the metrics (`labelled`, `rows`): not charted as performance. */
const COUNT_KEYS = new Set(['labelled', 'rows', 'count'])

/** Metrics with a realized or estimated value in some window; the usual ones first, at most six charts. */
function performanceMetrics(r: MonitorReport): string[] {
  const names = new Set<string>()
  for (const w of r.windows) for (const k of [...Object.keys(w.performance), ...Object.keys(w.estimated)]) if (!COUNT_KEYS.has(k)) names.add(k)
  const preferred = ['roc_auc', 'pr_auc', 'f1', 'accuracy', 'precision', 'recall', 'log_loss', 'rmse', 'mae', 'r2']
  const order = (n: string): number => (preferred.includes(n) ? preferred.indexOf(n) : preferred.length)
  return [...names].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1)).slice(0, 6)
}

function featuresSection(r: MonitorReport): string {
  if (r.features.length === 0) return '<section id="features"><h2>Per-feature drift</h2><p class="muted">No drift results.</p></section>'
  return (
    `<section id="features"><h2>Per-feature drift (window #${r.summary.focusWindow ?? '—'})</h2>` +
    '<p class="muted">Drifted features first. The last columns give the score in every window (highlighted where drifted).</p>' +
    `${driftTable(r, r.features)}</section>`
  )
}

function outputsSection(r: MonitorReport): string {
  if (r.outputs.length === 0) return ''
  return (
    `<section id="outputs"><h2>Prediction drift (window #${r.summary.focusWindow ?? '—'})</h2>` +
    '<p class="muted">The model’s outputs against its outputs on the reference data; not counted in the dataset drift share.</p>' +
    `${driftTable(r, r.outputs)}</section>`
  )
}

function driftTable(r: MonitorReport, features: readonly ReportFeature[]): string {
  const windowHeads = r.windows.map((w) => `<th>#${w.index}</th>`).join('')
  const head = `<tr><th>Feature</th><th>Kind</th><th>Test</th><th>Score</th><th>Threshold</th><th>Rule</th><th>Drifted</th>${windowHeads}</tr>`
  const body = features
    .map((f) => {
      const focus = f.focus
      const rule = focus === null ? '—' : focus.scoreKind === 'p_value' ? 'drift when p &lt; threshold' : 'drift when distance ≥ threshold'
      const cells = f.windows.map((w) => (w === null ? '<td>—</td>' : `<td class="n${w.drifted ? ' hit' : ''}">${num(w.score)}</td>`)).join('')
      return (
        `<tr${focus?.drifted === true ? ' class="drifted"' : ''}><td><code>${esc(f.column)}</code></td><td>${esc(f.kind)}</td>` +
        `<td>${esc(focus?.test ?? '—')}</td><td class="n">${num(focus?.score)}</td><td class="n">${num(focus?.threshold)}</td><td>${rule}</td>` +
        `<td>${focus === null ? '—' : focus.drifted ? '<span class="badge bad">drifted</span>' : 'no'}</td>${cells}</tr>`
      )
    })
    .join('')
  return `<table>${head}${body}</table>`
}

function distributionsSection(r: MonitorReport): string {
  const charts = r.features.filter((f): f is ReportFeature & { focus: NonNullable<ReportFeature['focus']> } => f.focus?.histogram !== undefined)
  if (charts.length === 0) return '<section id="distributions"><h2>Distributions</h2><p class="muted">No histograms in the drift results.</p></section>'
  const figures = charts.map((f) => {
    const h = f.focus.histogram!
    const caption = `${f.focus.test} ${num(f.focus.score)} (threshold ${num(f.focus.threshold)}); ${num(f.focus.referenceRows)} reference vs ${num(f.focus.currentRows)} current rows`
    return (
      `<figure${f.focus.drifted ? ' class="drifted"' : ''}>` +
      histogramChart({ title: f.column, bins: h.bins, reference: h.reference, current: h.current }) +
      `<figcaption>${esc(caption)}</figcaption></figure>`
    )
  })
  return `<section id="distributions"><h2>Distributions: reference vs current (window #${r.summary.focusWindow ?? '—'})</h2><div class="charts">${figures.join('')}</div></section>`
}

function qualitySection(r: MonitorReport): string {
  if (r.quality.length === 0) return '<section id="quality"><h2>Data quality</h2><p class="muted">No data-quality metrics.</p></section>'
  const head = `<tr><th>Column</th><th>Check</th>${r.windows.map((w) => `<th>#${w.index}</th>`).join('')}</tr>`
  const body = r.quality
    .map((q) => `<tr><td><code>${esc(q.column)}</code></td><td>${esc(q.check)}</td>${q.values.map((v) => `<td class="n${v !== null && v > 0 ? ' warn' : ''}">${num(v)}</td>`).join('')}</tr>`)
    .join('')
  return `<section id="quality"><h2>Data quality</h2><table>${head}${body}</table></section>`
}

function alertsSection(r: MonitorReport): string {
  if (r.alerts.length === 0) return '<section id="alerts"><h2>Alerts</h2><p class="muted">No alert fired in this run.</p></section>'
  const items = r.alerts
    .map(
      (a) =>
        `<li class="sev-${esc(a.severity)}"><strong>${esc(a.severity)}</strong> <code>${esc(a.rule)}</code>: ` +
        `${esc(a.metric)} = ${num(a.value)} (threshold ${num(a.threshold)}) in window #${a.window.index} ` +
        `(${esc(iso(a.window.from))} → ${esc(iso(a.window.to))}), model ${esc(a.model)} v${esc(a.version)}, fired ${esc(iso(a.firedAt))}` +
        (a.actions.length === 0 ? '' : `<ul>${a.actions.map(actionItem).join('')}</ul>`) +
        '</li>',
    )
    .join('')
  return `<section id="alerts"><h2>Alerts</h2><ul class="alerts">${items}</ul></section>`
}

function actionItem(a: MonitorReport['alerts'][number]['actions'][number]): string {
  if (a.kind === 'webhook') {
    const outcome = a.delivered ? `delivered (HTTP ${a.status ?? '?'})` : `not delivered: ${a.error ?? 'unknown error'}`
    return `<li>webhook <code>${esc(a.url)}</code>: ${esc(outcome)} after ${a.attempts} attempt(s)</li>`
  }
  return `<li>retrain pipeline <code>${esc(a.pipeline)}</code>: ${a.emitted ? 'requested' : esc(`not requested: ${a.error ?? 'unknown error'}`)}</li>`
}

function windowSpecText(r: MonitorReport): string {
  const spec = r.windowSpec
  if (spec === null) return 'windows'
  return spec.kind === 'count' ? `${spec.size.toLocaleString('en-US')} predictions each` : `${durationText(spec.size)} each`
}

function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`
  }
  return `${ms} ms`
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms)
}

const CSS = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222;background:#fff}',
  'h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}',
  'table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}',
  'th{background:#f5f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}table.kv th{width:190px}',
  'tr.drifted td:first-child{border-left:3px solid #b6443b}td.hit{background:#fbe3e1;font-weight:600}td.warn{background:#fff4d6}',
  '.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eee}.badge.bad{background:#b6443b;color:#fff}',
  '.badge.ok{background:#2e9e6a;color:#fff}.muted{color:#777}code{font-family:ui-monospace,monospace;font-size:12px}',
  '.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #e3e3e3;padding:6px}figure.drifted{border-color:#b6443b}',
  'figcaption{font-size:11px;color:#555;max-width:360px}ul.alerts li{margin:4px 0}li.sev-critical strong{color:#b6443b}',
  'li.sev-warning strong{color:#d9822b}footer{margin-top:32px;font-size:11px;color:#888}',
].join('')
