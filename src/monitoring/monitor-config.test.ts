import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { parseMonitorConfig, parseRules, parseTime, readMonitorConfig } from './monitor-config.js'

describe('monitor config', () => {
  it('reads a YAML config: windows, times, durations, drift options and rules with secrets from the environment', () => {
    const dir = tempDir('keel-monitor-config-')
    try {
      const file = join(dir.path, 'monitor.yaml')
      writeFileSync(
        file,
        [
          'model: models:/fraud@champion',
          'window: 1h',
          'from: 2025-01-01T00:00:00Z',
          'to: 1735693200000',
          'lookback: 1d',
          'drift:',
          '  shareThreshold: 0.3',
          '  columns:',
          '    amount: { test: psi, threshold: 0.2 }',
          'performance: { minLabels: 50 }',
          'rules:',
          '  - name: dataset-drift',
          '    metric: drift.share',
          "    comparison: '>='",
          '    threshold: 0.3',
          '    severity: critical',
          '    cooldown: 30m',
          '    actions:',
          '      - { kind: webhook, url: "http://127.0.0.1:9/hook", secretEnv: HOOK_SECRET }',
          '      - { kind: retrain, pipeline: fraud-train }',
          '  - { name: auc, metric: performance.roc_auc, comparison: "<", threshold: 0.8 }',
        ].join('\n'),
      )
      const config = readMonitorConfig(file, { HOOK_SECRET: 'shh' })
      expect(config).toEqual({
        model: 'models:/fraud@champion',
        window: { kind: 'time', size: 3_600_000 },
        from: Date.UTC(2025, 0, 1),
        to: 1735693200000,
        lookbackMs: 86_400_000,
        drift: { shareThreshold: 0.3, columns: { amount: { test: 'psi', threshold: 0.2 } } },
        minLabels: 50,
        rules: [
          {
            name: 'dataset-drift',
            metric: 'drift.share',
            comparison: '>=',
            threshold: 0.3,
            severity: 'critical',
            cooldownMs: 1_800_000,
            actions: [
              { kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'shh' },
              { kind: 'retrain', pipeline: 'fraud-train' },
            ],
          },
          { name: 'auc', metric: 'performance.roc_auc', comparison: '<', threshold: 0.8, severity: 'warning', cooldownMs: 3_600_000, actions: [] },
        ],
      })
      expect(() => readMonitorConfig(file, {})).toThrow(/rule 'dataset-drift' takes its webhook secret from \$HOOK_SECRET, which is not set/)
      expect(() => readMonitorConfig(join(dir.path, 'absent.yaml'))).toThrow(/Cannot read the monitor config/)
    } finally {
      dir.remove()
    }
  })

  it('names every mistake: unknown fields, bad enums, bad windows, from after to, duplicate rule names', () => {
    expect(() => parseMonitorConfig({ model: 'fraud', window: '1h', colour: 1 })).toThrow(/unknown field 'colour'/)
    expect(() => parseMonitorConfig({ window: '1h' })).toThrow(/model is required/)
    expect(() => parseMonitorConfig({ model: 'fraud', window: 'soon' })).toThrow(/Invalid window 'soon'/)
    expect(() => parseMonitorConfig({ model: 'fraud', window: 100, from: 10, to: 5 })).toThrow(/'from' must be before 'to'/)
    expect(parseMonitorConfig({ model: 'fraud', window: 100 }).window).toEqual({ kind: 'count', size: 100 })
    expect(() => parseMonitorConfig({ model: 'f', window: '1h', drift: { columns: { a: { test: 'magic' } } } })).toThrow(/drift.columns.a.test must be one of "ks"/)
    const rule = { name: 'r', metric: 'drift.share', comparison: '>', threshold: 1 }
    expect(parseRules({ rules: [rule] })).toHaveLength(1)
    expect(() => parseRules([rule, rule])).toThrow(/two rules are named 'r'/)
    expect(() => parseRules([{ ...rule, cooldown: 'often' }])).toThrow(/cooldown/)
    expect(() => parseRules([{ ...rule, actions: [{ kind: 'webhook', url: 'ftp://x' }] }])).toThrow(/actions\[0\]/)
  })

  it('parses times as epoch ms or ISO 8601', () => {
    expect(parseTime('1735689600000', '--from')).toBe(1735689600000)
    expect(parseTime('2025-01-01', '--from')).toBe(Date.UTC(2025, 0, 1))
    expect(() => parseTime('yesterday', '--from')).toThrow(/--from: 'yesterday' is not a time/)
  })
})
