import { describe, expect, it } from 'vitest'
import { reportJson } from './json-report.js'
import { EVIL, fixtureRun } from './report-fixture.test-support.js'

describe('reportJson', () => {
  it('is plain JSON: a round trip changes nothing, non-finite scores are null', () => {
    const report = reportJson(fixtureRun())
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    const evil = report.features.find((f) => f.column === EVIL)!
    expect(evil.focus?.score).toBeNull()
    expect(evil.windows[0]?.score).toBe(0.02)
  })

  it('summarises the focus window (the last with drift results)', () => {
    const { summary } = reportJson(fixtureRun())
    expect(summary).toEqual({
      windows: 2,
      rows: 40_000,
      focusWindow: 1,
      datasetDrift: true,
      driftShare: 2 / 7,
      shareThreshold: 0.25,
      driftedColumns: ['amount', 'velocity'],
      driftedWindows: 1,
      alerts: 1,
    })
  })

  it('can focus another window', () => {
    const report = reportJson(fixtureRun(), { focusWindow: 0 })
    expect(report.summary.datasetDrift).toBe(false)
    expect(report.summary.driftedColumns).toEqual([])
    // Drifted in some window still sorts before never drifted.
    expect(report.features.slice(0, 2).map((f) => f.column)).toEqual(['amount', 'velocity'])
    expect(report.features[0]!.focus?.drifted).toBe(false)
  })

  it('puts realized and estimated performance per window, and quality per column × check × window', () => {
    const report = reportJson(fixtureRun())
    expect(report.windows.map((w) => [w.performance['roc_auc'], w.estimated['roc_auc']])).toEqual([
      [0.91, 0.9],
      [0.74, 0.85],
    ])
    expect(report.windows.map((w) => w.drift?.driftedColumns)).toEqual([[], ['amount', 'velocity']])
    expect(report.quality).toEqual([
      { column: EVIL, check: 'new_categories', values: [null, 3] },
      { column: 'a.b', check: 'out_of_range', values: [null, 0.5] },
      { column: 'amount', check: 'missing', values: [0, 0.02] },
    ])
  })

  it('copies histograms (the report does not alias the run)', () => {
    const run = fixtureRun()
    const report = reportJson(run)
    const h = report.features[0]!.focus!.histogram!
    h.current[0] = 99
    expect(run.windows[1]!.drift!.columns.find((c) => c.column === 'amount')!.histogram!.current[0]).not.toBe(99)
  })
})
