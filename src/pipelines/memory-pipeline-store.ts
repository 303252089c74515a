import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { alreadyExists, notFound } from '../core/errors.js'
import type { PipelineRunRecord, PipelineStore, RunStatus, StepRunRecord, StepStatus } from './types.js'

/**
 * A PipelineStore held in memory: for tests, benches and throwaway runs. Records are copied in and out
 * (structuredClone) so callers cannot change stored state by mutating what they passed or got back,
 * which is what the SQL adapters guarantee too.
 */
export class MemoryPipelineStore implements PipelineStore {
  private readonly runs = new Map<string, PipelineRunRecord>()
  private readonly steps = new Map<string, Map<string, StepRunRecord>>()
  private readonly logLines = new Map<string, Array<{ step: string; line: string; at: number }>>()
  /** cacheKey → the latest succeeded record's (runId, step), in finish order. */
  private readonly cache = new Map<string, { runId: string; step: string }>()
  private readonly clock: Clock

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock
  }

  async createRun(run: PipelineRunRecord, steps: StepRunRecord[]): Promise<void> {
    if (this.runs.has(run.id)) throw alreadyExists(`Pipeline run '${run.id}' already exists; start a new run instead.`)
    this.runs.set(run.id, structuredClone(run))
    const byName = new Map<string, StepRunRecord>()
    for (const step of steps) byName.set(step.step, structuredClone(step))
    this.steps.set(run.id, byName)
  }

  async getRun(id: string): Promise<PipelineRunRecord | undefined> {
    const run = this.runs.get(id)
    return run === undefined ? undefined : structuredClone(run)
  }

  async listRuns(query: { pipeline?: string; status?: RunStatus; maxResults?: number }): Promise<PipelineRunRecord[]> {
    const out: PipelineRunRecord[] = []
    for (const run of this.runs.values()) {
      if (query.pipeline !== undefined && run.pipeline !== query.pipeline) continue
      if (query.status !== undefined && run.status !== query.status) continue
      out.push(structuredClone(run))
    }
    // Newest first; insertion order breaks ties (a Map iterates in insertion order, so reverse first).
    out.reverse()
    out.sort((a, b) => b.createdAt - a.createdAt)
    return out.slice(0, query.maxResults ?? 100)
  }

  async setRunStatus(id: string, status: RunStatus, error?: string): Promise<void> {
    const run = this.runs.get(id)
    if (run === undefined) throw notFound(`Pipeline run '${id}' does not exist.`)
    run.status = status
    run.updatedAt = this.clock.now()
    if (error === undefined) delete run.error
    else run.error = error
  }

  async getSteps(runId: string): Promise<StepRunRecord[]> {
    const steps = this.steps.get(runId)
    if (steps === undefined) return []
    return [...steps.values()].map((s) => structuredClone(s))
  }

  async updateStep(step: StepRunRecord, expected: readonly StepStatus[]): Promise<boolean> {
    const steps = this.steps.get(step.runId)
    const stored = steps?.get(step.step)
    if (steps === undefined || stored === undefined) {
      throw notFound(`Step '${step.step}' of pipeline run '${step.runId}' does not exist.`)
    }
    if (!expected.includes(stored.status)) return false
    steps.set(step.step, structuredClone(step))
    if (step.status === 'succeeded' && step.cacheKey !== '') this.cache.set(step.cacheKey, { runId: step.runId, step: step.step })
    return true
  }

  async findCached(cacheKey: string): Promise<StepRunRecord | undefined> {
    const at = this.cache.get(cacheKey)
    if (at === undefined) return undefined
    const record = this.steps.get(at.runId)?.get(at.step)
    return record?.status === 'succeeded' ? structuredClone(record) : undefined
  }

  async appendLog(runId: string, step: string, line: string, at: number): Promise<void> {
    let lines = this.logLines.get(runId)
    if (lines === undefined) {
      lines = []
      this.logLines.set(runId, lines)
    }
    lines.push({ step, line, at })
  }

  async logs(runId: string, step?: string): Promise<Array<{ step: string; line: string; at: number }>> {
    const lines = this.logLines.get(runId) ?? []
    return lines.filter((l) => step === undefined || l.step === step).map((l) => ({ ...l }))
  }
}
