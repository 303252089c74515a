import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../client/keel.js'
import { Frame, categoricalColumn, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import type { PredictionRecord } from '../../monitoring/prediction-store.js'
import { saveReferenceForVersion } from '../../monitoring/reference.js'
import { runCli } from '../../../test/support/run-cli.js'
import { tempDir } from '../../../test/support/temp-dir.js'

const FEATURES = ['age', 'amount', 'velocity']
const ROWS = 1000
const T0 = Date.UTC(2025, 0, 1)

function probability(r: readonly number[]): number {
  return 1 / (1 + Math.exp(-(0.05 * (r[0]! - 40) + r[1]! + 0.5 * r[2]!)))
}

function draw(n: number, seed: number, shift: boolean): number[][] {
  const random = createRandom(seed)
  return Array.from({ length: n }, () => [40 + 10 * random.normal(), random.normal() + (shift ? 1.5 : 0), random.normal() + (shift ? 1.5 : 0)])
}

/** A store with `fraud` v1 (champion), its reference, and two windows of traffic: clean, then amount and velocity shifted. */
async function monitoredStore(uri: string): Promise<string[]> {
  const keel = await Keel.open(uri)
  try {
    const run = await keel.startRun({ experiment: 'fraud' })
    await run.end()
    await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: 'model' })
    await keel.setAlias('fraud', 'champion', 1)
    const ref = draw(3000, 1, false)
    const p = ref.map(probability)
    await saveReferenceForVersion(
      keel,
      'models:/fraud@champion',
      new Frame(FEATURES.map((f, j) => numericColumn(f, ref.map((r) => r[j]!)))),
      new Frame([categoricalColumn('prediction', p.map((v) => (v > 0.5 ? '1' : '0')), ['0', '1']), numericColumn('probability_0', p.map((v) => 1 - v)), numericColumn('probability_1', p)]),
    )
    const records: PredictionRecord[] = [...draw(ROWS, 2, false), ...draw(ROWS, 3, true)].map((r, i) => {
      const pi = probability(r)
      return {
        id: `pred-${i}`,
        deployment: 'fraud',
        model: 'fraud',
        version: '1',
        arm: 'champion',
        timestamp: T0 + i * 1000,
        inputs: Object.fromEntries(FEATURES.map((f, j) => [f, r[j]!])),
        outputs: { prediction: pi > 0.5 ? '1' : '0', probability_0: 1 - pi, probability_1: pi },
      }
    })
    await keel.predictions.appendPredictions(records)
    return records.map((r) => r.id)
  } finally {
    await keel.close()
  }
}

describe('keel monitor', () => {
  let dir: ReturnType<typeof tempDir>
  let env: Record<string, string>
  let ids: string[]

  beforeEach(async () => {
    dir = tempDir('keel-monitor-cli-')
    env = { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}` }
    ids = await monitoredStore(env['KEEL_STORE']!)
  })
  afterEach(() => dir.remove())

  it('run: evaluates count windows, flags the shifted features and fires the rule once; alerts lists it', async () => {
    const rules = join(dir.path, 'rules.yaml')
    writeFileSync(rules, '- name: dataset-drift\n  metric: drift.share\n  comparison: ">="\n  threshold: 0.5\n  severity: critical\n  cooldown: 1h\n')
    const result = await runCli(['monitor', 'run', '--model', 'models:/fraud@champion', '--window', `${ROWS}rows`, '--rules', rules, '--json'], env)
    expect(result.stderr).toMatch(/^\[error\] alert dataset-drift: drift.share = 0.66\d+ >= 0.5 \{/) // critical alerts are logged
    expect(result.code).toBe(0)
    const run = JSON.parse(result.stdout) as { windows: Array<{ drift: { columns: Array<{ column: string; drifted: boolean }> } }>; alerts: Array<{ rule: string }>; trackingRunId: string }
    expect(run.windows.map((w) => w.drift.columns.filter((c) => c.drifted).map((c) => c.column))).toEqual([[], ['amount', 'velocity']])
    expect(run.alerts.map((a) => a.rule)).toEqual(['dataset-drift'])
    expect(run.trackingRunId).toMatch(/^[0-9a-f]{32}$/)

    const table = await runCli(['monitor', 'run', '--model', 'fraud', '--window', `${ROWS}rows`, '--rules', rules, '--no-track'], env)
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/drift share/)
    expect(table.stdout).toMatch(/amount, velocity/)
    expect(table.stdout).toMatch(/\(none fired\)/) // inside the cooldown

    const alerts = await runCli(['monitor', 'alerts', '--model', 'fraud', '--json'], env)
    expect(alerts.code).toBe(0)
    expect((JSON.parse(alerts.stdout) as { alerts: Array<{ rule: string; metric: string }> }).alerts).toMatchObject([{ rule: 'dataset-drift', metric: 'drift.share' }])
    const none = await runCli(['monitor', 'alerts', '--model', 'churn'], env)
    expect(none.stdout).toMatch(/\(no alerts\)/)
  })

  it('feedback: loads labels in batches, re-running the file counts duplicates; run then reports performance', async () => {
    const file = join(dir.path, 'labels.csv')
    const random = createRandom(9)
    writeFileSync(file, `prediction_id,outcome\n${ids.slice(0, ROWS).map((id) => `${id},${random.next() < 0.5 ? 1 : 0}`).join('\n')}\n`)
    const first = await runCli(['monitor', 'feedback', '--file', file, '--batch-size', '300'], env)
    expect(first.stderr).toBe('')
    expect(first.stdout).toMatch(/1000 label\(s\) stored, 0 duplicate\(s\) ignored/)
    const again = await runCli(['monitor', 'feedback', '--file', file, '--json'], env)
    expect(JSON.parse(again.stdout)).toEqual({ accepted: 0, duplicates: 1000 })
    const run = await runCli(['monitor', 'run', '--model', 'fraud', '--window', `${ROWS}rows`, '--json', '--no-track'], env)
    const parsed = JSON.parse(run.stdout) as { windows: Array<{ labels: number; performance?: Record<string, number> }> }
    expect(parsed.windows.map((w) => w.labels)).toEqual([ROWS, 0])
    expect(parsed.windows[0]!.performance!['roc_auc']).toBeGreaterThan(0)
    expect(parsed.windows[1]!.performance).toBeUndefined()

    const unknown = join(dir.path, 'unknown.csv')
    writeFileSync(unknown, 'prediction_id,outcome\nnope,1\n')
    const bad = await runCli(['monitor', 'feedback', '--file', unknown], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/nope/)
    const noColumn = join(dir.path, 'nocol.csv')
    writeFileSync(noColumn, 'id,outcome\nx,1\n')
    const missing = await runCli(['monitor', 'feedback', '--file', noColumn], env)
    expect(missing.stderr).toMatch(/no column 'prediction_id'/)
  })

  it('report: writes a self-contained HTML report, or JSON for a .json path', async () => {
    const html = join(dir.path, 'report.html')
    const result = await runCli(['monitor', 'report', '--model', 'fraud', '--window', `${ROWS}rows`, '--out', html, '--no-track'], env)
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/2 window\(s\), 0 alert\(s\); report written to/)
    const text = readFileSync(html, 'utf8')
    expect(text).toMatch(/^<!doctype html>/i)
    expect(text).toMatch(/velocity/)
    const json = join(dir.path, 'report.json')
    await runCli(['monitor', 'report', '--model', 'fraud', '--window', `${ROWS}rows`, '--out', json, '--no-track'], env)
    expect(Object.keys(JSON.parse(readFileSync(json, 'utf8')) as object)).toContain('windows')
  })

  it('watch: runs on a schedule bounded by --max-runs; the second run has no new complete window', async () => {
    const config = join(dir.path, 'monitor.yaml')
    writeFileSync(
      config,
      `model: models:/fraud@champion\nwindow: ${ROWS}rows\nfrom: ${T0}\ndrift:\n  shareThreshold: 0.5\nrules:\n  - name: drift\n    metric: drift.share\n    comparison: ">="\n    threshold: 0.5\n    actions:\n      - kind: retrain\n        pipeline: fraud-train\n`,
    )
    const result = await runCli(['monitor', 'watch', '--config', config, '--every', '1ms', '--max-runs', '2'], env)
    expect(result.code).toBe(0)
    const lines = result.stderr.split('\n').filter((l) => /window\(s\)/.test(l))
    expect(lines.map((l) => l.replace(/^.*?\s{2}/, ''))).toEqual(['2 window(s), 1 alert(s)', '0 window(s), 0 alert(s)'])
    expect(result.stderr).toMatch(/\[warn\] retrain action fired but nothing consumes monitoring.retrain events/)
  })

  it('says what is wrong: missing options, a bad window, a bad config, an unknown model; --help shows examples', async () => {
    const noWindow = await runCli(['monitor', 'run', '--model', 'fraud'], env)
    expect(noWindow.code).toBe(2)
    expect(noWindow.stderr).toMatch(/--window is required/)
    const badWindow = await runCli(['monitor', 'run', '--model', 'fraud', '--window', 'hourly'], env)
    expect(badWindow.code).toBe(1)
    expect(badWindow.stderr).toMatch(/Invalid window 'hourly'/)
    const config = join(dir.path, 'bad.yaml')
    writeFileSync(config, 'model: fraud\nwindow: 1h\nrules:\n  - name: r\n    metric: drift.share\n    comparison: "=="\n    threshold: 1\n    colour: red\n')
    const badConfig = await runCli(['monitor', 'run', '--config', config], env)
    expect(badConfig.code).toBe(1)
    expect(badConfig.stderr).toMatch(/rules\[0\]\.comparison must be one of/)
    expect(badConfig.stderr).toMatch(/unknown field 'colour'/)
    const unknown = await runCli(['monitor', 'run', '--model', 'models:/ghost@champion', '--window', '1h'], env)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/ghost/)
    const help = await runCli(['monitor', 'run', '--help'], env)
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Examples:\n\s+\$ keel monitor run --model models:\/fraud@champion --window 1h/)
  })
})
