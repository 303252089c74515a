import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../client/keel.js'
import { runCli } from '../../../test/support/run-cli.js'
import { tempDir } from '../../../test/support/temp-dir.js'

/**
 * A pipeline module as a user writes it: plain exported objects, plus `register(registry)` for its own step kind
 * (`demo.flaky` fails with a non-retryable error while a marker file is absent, so `retry` has something to do).
 */
function writeModule(dir: string): string {
  const path = join(dir, 'keel.pipelines.mjs')
  writeFileSync(
    path,
    `import { existsSync } from 'node:fs'
export function register(registry) {
  registry.register({
    name: 'demo.flaky', version: '1', inputs: { dataset: 'dataset', marker: 'string' }, outputs: { rows: 'number' },
    async run(ctx) {
      ctx.log.info({}, 'checking ' + ctx.inputs.marker)
      if (!existsSync(ctx.inputs.marker)) throw Object.assign(new Error('marker missing'), { retryable: false })
      return { rows: ctx.inputs.dataset.rows }
    },
  })
}
export const ingestOnly = {
  name: 'ingest-only',
  params: { data: 'string', marker: { type: 'string', default: ${JSON.stringify(join(dir, 'marker'))} } },
  steps: [
    { name: 'ingest', kind: 'keel.ingest', inputs: { path: 'params.data' } },
    { name: 'count', kind: 'demo.flaky', inputs: { dataset: 'ingest.dataset', marker: 'params.marker' } },
  ],
}
`,
  )
  return path
}

let dir: ReturnType<typeof tempDir>
let env: Record<string, string>
let file: string

beforeEach(() => {
  dir = tempDir('keel-cli-pipeline-')
  env = { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}` }
  file = writeModule(dir.path)
  writeFileSync(join(dir.path, 'data.csv'), 'a,b\n1,2\n3,4\n5,6\n')
})

afterEach(() => dir.remove())

describe('keel pipeline', () => {
  it('run fails on a failing step (exit 1), show/logs explain it, retry finishes it, list shows both states', async () => {
    const data = join(dir.path, 'data.csv')
    const failed = await runCli(['pipeline', 'run', 'ingest-only', '--file', file, '--param', `data=${data}`, '--json'], env)
    expect(failed.code).toBe(1)
    const first = JSON.parse(failed.stdout) as { run: { id: string; status: string }; steps: Array<{ step: string; status: string; error?: string }> }
    expect(first.run.status).toBe('failed')
    expect(first.steps.find((s) => s.step === 'count')).toMatchObject({ status: 'failed', error: expect.stringMatching(/marker missing/) as unknown })
    const runId = first.run.id

    const show = await runCli(['pipeline', 'show', runId], env)
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/status:\s+failed/)
    expect(show.stdout).toMatch(/^ingest\s+succeeded\s+1\s.*miss: never ran$/m)
    expect(show.stdout).toMatch(/^count\s+failed\s+1\s.*marker missing$/m)

    const logs = await runCli(['pipeline', 'logs', runId, '--step', 'count'], env)
    expect(logs.stdout).toMatch(/count: info checking .*marker/)

    writeFileSync(join(dir.path, 'marker'), '')
    const retried = await runCli(['pipeline', 'retry', runId, '--file', file], env)
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toMatch(/status:\s+succeeded/)
    expect(retried.stdout).toMatch(/^count\s+succeeded\s+2\s/m)

    // The same data again: ingest comes from the cache, with the reason shown.
    const again = await runCli(['pipeline', 'run', 'ingest-only', '--param', `data=${data}`, '--file', file], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^ingest\s+cached\s+0\s.*hit/m)

    const list = await runCli(['pipeline', 'list', '--json'], env)
    const runs = (JSON.parse(list.stdout) as { runs: Array<{ id: string; status: string }> }).runs
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
    expect(runs[1]!.id).toBe(runId)
  })

  it('refuses unknown pipelines, params and runs, naming what exists', async () => {
    const unknown = await runCli(['pipeline', 'run', 'nope', '--file', file], env)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/No pipeline 'nope' in the module; it defines: ingest-only/)
    const badParam = await runCli(['pipeline', 'run', 'ingest-only', '--file', file, '--param', 'dta=x'], env)
    expect(badParam.code).toBe(1)
    expect(badParam.stderr).toMatch(/has no parameter 'dta' \(did you mean 'data'\?\)/)
    const missing = await runCli(['pipeline', 'show', 'no-such-run'], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/does not exist/)
  })

  it('cancel marks a run left running by a dead process as cancelled, with its unfinished steps', async () => {
    const keel = await Keel.open(env['KEEL_STORE'])
    try {
      const now = Date.now()
      await keel.pipelines.createRun(
        { id: 'deadrun', pipeline: 'ingest-only', definitionDigest: 'd', params: {}, status: 'running', trackingRunId: 't', createdAt: now, updatedAt: now },
        [
          { runId: 'deadrun', step: 'ingest', status: 'succeeded', attempt: 1, cacheKey: 'k', cacheReason: 'miss: never ran', attempts: [] },
          { runId: 'deadrun', step: 'count', status: 'running', attempt: 1, cacheKey: 'k2', cacheReason: 'miss: never ran', attempts: [] },
        ],
      )
    } finally {
      await keel.close()
    }
    const cancel = await runCli(['pipeline', 'cancel', 'deadrun'], env)
    expect(cancel.stdout).toBe('run deadrun: cancelled\n')
    const show = await runCli(['pipeline', 'show', 'deadrun', '--json'], env)
    const steps = (JSON.parse(show.stdout) as { steps: Array<{ step: string; status: string }> }).steps
    expect(Object.fromEntries(steps.map((x) => [x.step, x.status]))).toEqual({ ingest: 'succeeded', count: 'cancelled' })
  })
})
