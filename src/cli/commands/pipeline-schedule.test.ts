import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../test/support/run-cli.js'
import { tempDir } from '../../../test/support/temp-dir.js'

let dir: ReturnType<typeof tempDir>
let env: Record<string, string>
let file: string

beforeEach(() => {
  dir = tempDir('keel-cli-schedule-')
  env = { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}` }
  file = join(dir.path, 'keel.pipelines.mjs')
  // cache: false so every run executes its step (the scheduler, not caching, is under test).
  writeFileSync(
    file,
    `export function register(registry) {
  registry.register({ name: 'demo.echo', version: '1', inputs: { x: 'json' }, outputs: { y: 'json' }, async run(ctx) { return { y: ctx.inputs.x } } })
}
const steps = [{ name: 'echo', kind: 'demo.echo', inputs: { x: 'params.model' }, cache: false }]
export const minutely = { name: 'minutely', params: { model: { type: 'string', default: 'none' } }, schedules: [{ cron: '* * * * *', params: { model: 'cron' } }], steps }
export const retraining = { name: 'retraining', params: { model: 'string', version: { type: 'string', default: '' } }, triggers: [{ event: 'monitoring.retrain' }], steps }
`,
  )
})

afterEach(() => dir.remove())

interface ScheduleJson {
  fires: Array<{ pipeline: string; fireTime: number; runId?: string; skipped?: string }>
  runs: Array<{ run: { status: string; params: Record<string, unknown> } }>
}

describe('keel pipeline schedule / trigger', () => {
  it('schedule --catch-up fires the latest due time once; a second scheduler never reruns a fire time', async () => {
    const first = await runCli(['pipeline', 'schedule', '--file', file, '--max-fires', '1', '--catch-up', '2m', '--json'], env)
    expect(first.code, first.stderr).toBe(0)
    const a = JSON.parse(first.stdout) as ScheduleJson
    expect(a.fires).toHaveLength(1)
    expect(a.fires[0]).toMatchObject({ pipeline: 'minutely', runId: expect.any(String) as unknown })
    expect(a.fires[0]!.fireTime % 60_000).toBe(0)
    expect(a.runs[0]!.run).toMatchObject({ status: 'succeeded', params: { model: 'cron' } })

    const second = await runCli(['pipeline', 'schedule', '--file', file, '--max-fires', '1', '--catch-up', '2m', '--json'], env)
    expect(second.code, second.stderr).toBe(0)
    const b = JSON.parse(second.stdout) as ScheduleJson
    // Same minute: skipped; the minute rolled over in between: a new fire time. Never two runs for one time.
    if (b.fires[0]!.fireTime === a.fires[0]!.fireTime) expect(b.fires[0]!.skipped).toMatch(/already exists/)
    else expect(b.fires[0]!.fireTime).toBeGreaterThan(a.fires[0]!.fireTime)

    const list = await runCli(['pipeline', 'list', '--pipeline', 'minutely', '--json'], env)
    const runs = (JSON.parse(list.stdout) as { runs: Array<{ id: string }> }).runs
    const markers: string[] = []
    for (const run of runs) {
      const logs = await runCli(['pipeline', 'logs', run.id, '--step', 'keel.scheduler', '--json'], env)
      markers.push(...(JSON.parse(logs.stdout) as { logs: Array<{ line: string }> }).logs.map((l) => l.line))
    }
    expect(markers.length).toBe(runs.length)
    expect(new Set(markers).size).toBe(markers.length)
  })

  it('schedule refuses a module without schedules', async () => {
    writeFileSync(file, `export const p = { name: 'p', params: {}, steps: [{ name: 'ingest', kind: 'keel.ingest', inputs: { path: { value: 'x.csv' } } }] }\n`)
    const result = await runCli(['pipeline', 'schedule', '--file', file, '--max-fires', '1'], env)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/no pipeline in the module has schedules/)
  })

  it('trigger monitoring.retrain starts the named pipeline with model and version; unknown events are refused', async () => {
    const result = await runCli(['pipeline', 'trigger', 'monitoring.retrain', '--pipeline', 'retraining', '--model', 'fraud', '--model-version', '3', '--file', file, '--json'], env)
    expect(result.code, result.stderr).toBe(0)
    const out = JSON.parse(result.stdout) as ScheduleJson
    expect(out.runs.map((r) => [r.run.status, r.run.params])).toEqual([['succeeded', { model: 'fraud', version: '3' }]])

    const wrong = await runCli(['pipeline', 'trigger', 'monitoring.retrain', '--pipeline', 'minutely', '--model', 'fraud', '--model-version', '3', '--file', file], env)
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toMatch(/No pipeline 'minutely' triggered by monitoring.retrain; pipelines with that trigger: retraining/)

    const unknown = await runCli(['pipeline', 'trigger', 'model.deployed', '--file', file], env)
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/Unknown pipeline event 'model.deployed'; events that start pipelines are: monitoring.retrain, dataset.registered/)

    const none = await runCli(['pipeline', 'trigger', 'dataset.registered', '--file', file], env)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no pipeline in the module is triggered by dataset.registered/)
  })
})
