import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { LocalExecutor } from '../../src/pipelines/local-executor.js'
import { PipelineEngine } from '../../src/pipelines/run-engine.js'
import { resumePipeline } from '../fixtures/pipelines/resume-pipeline.js'
import { tempDir } from '../support/temp-dir.js'

const CHILD = fileURLToPath(new URL('../fixtures/pipelines/resume-child.ts', import.meta.url))

let dir: ReturnType<typeof tempDir> | undefined

afterEach(() => {
  dir?.remove()
  dir = undefined
})

/** Polls `check` every 20 ms for up to `ms` (waiting on another process, not sleeping for time to pass). */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('local crash test', () => {
  it('a pipeline whose process is SIGKILLed mid-step resumes without redoing completed steps', async () => {
    const d = tempDir('keel-resume-')
    dir = d
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, d.path], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    try {
      await until(() => existsSync(join(d.path, 'step3-started')) || child.exitCode !== null, 20_000, `step 3 to start (stderr: ${stderr})`)
    } finally {
      child.kill('SIGKILL')
    }
    expect(await exited).toBe('SIGKILL')
    const runId = /run (\w+)/.exec(stdout)?.[1]
    expect(runId, `child printed no run id; stderr: ${stderr}`).toBeDefined()
    expect(stdout).not.toMatch(/finished/)
    const executions = (): string[] => readFileSync(join(d.path, 'executions.log'), 'utf8').trim().split('\n')
    expect(executions()).toEqual(['one', 'two', 'three'])

    // Resume in this process, on the same store; step 3 no longer blocks.
    writeFileSync(join(d.path, 'release'), '')
    const keel = await Keel.open(`sqlite:${join(d.path, 'keel.db')}`, { artifactsRoot: join(d.path, 'artifacts'), cwd: d.path })
    try {
      const before = Object.fromEntries((await keel.pipelines.getSteps(runId ?? '')).map((s) => [s.step, s.status]))
      expect(before).toEqual({ one: 'succeeded', two: 'succeeded', three: 'running', four: 'pending' })
      const { registry, definition } = resumePipeline(d.path)
      const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry))
      await engine.resume(runId ?? '', definition)
      const run = await engine.wait(runId ?? '')
      expect(run.status).toBe('succeeded')
      expect(executions()).toEqual(['one', 'two', 'three', 'three', 'four'])
      const steps = Object.fromEntries((await keel.pipelines.getSteps(runId ?? '')).map((s) => [s.step, s]))
      expect(steps['four']?.outputs).toEqual({ y: 14 })
      expect(steps['three']?.attempt).toBe(2)
      expect(steps['three']?.attempts.map((a) => a.error)).toEqual(['interrupted: the process running it stopped', undefined])
      expect(steps['one']?.attempts).toHaveLength(1)
      const tracked = await keel.tracking.getRun(run.trackingRunId)
      expect(tracked.info.status).toBe('FINISHED')
    } finally {
      await keel.close()
    }
  })
})
