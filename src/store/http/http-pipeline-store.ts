import { isKeelError } from '../../core/errors.js'
import type { PipelineRunRecord, PipelineStore, RunStatus, StepRunRecord, StepStatus } from '../../pipelines/types.js'
import { fromWirePipelineRun, fromWireStepRun, toWirePipelineRun, toWireStepRun } from '../../protocol/pipeline-endpoints.js'
import type { WirePipelineRun, WireStepRun } from '../../protocol/pipeline-endpoints.js'
import type { HttpTransport } from './http-transport.js'
import { KEEL, body } from './wire-body.js'

const PIPELINES = `${KEEL}/pipelines`

/**
 * `PipelineStore` over a keel server's `/api/keel/v1/pipelines/...` API, for workers and CLIs that reach run
 * state through a server. The compare-and-set of `updateStep` runs in the server's store.
 */
export class HttpPipelineStore implements PipelineStore {
  constructor(private readonly http: HttpTransport) {}

  async createRun(run: PipelineRunRecord, steps: StepRunRecord[]): Promise<void> {
    await this.http.post(`${PIPELINES}/runs`, { run: toWirePipelineRun(run), steps: steps.map(toWireStepRun) })
  }

  async getRun(id: string): Promise<PipelineRunRecord | undefined> {
    try {
      const res = await this.http.get<{ run: WirePipelineRun }>(`${PIPELINES}/runs/get`, { run_id: id })
      return fromWirePipelineRun(res.run)
    } catch (error) {
      if (isKeelError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined
      throw error
    }
  }

  async listRuns(query: { pipeline?: string; status?: RunStatus; maxResults?: number }): Promise<PipelineRunRecord[]> {
    const res = await this.http.get<{ runs?: WirePipelineRun[] }>(`${PIPELINES}/runs`, {
      pipeline: query.pipeline,
      status: query.status,
      max_results: query.maxResults,
    })
    return (res.runs ?? []).map(fromWirePipelineRun)
  }

  async setRunStatus(id: string, status: RunStatus, error?: string): Promise<void> {
    await this.http.post(`${PIPELINES}/runs/set-status`, body({ run_id: id, status, error }))
  }

  async getSteps(runId: string): Promise<StepRunRecord[]> {
    const res = await this.http.get<{ steps?: WireStepRun[] }>(`${PIPELINES}/steps`, { run_id: runId })
    return (res.steps ?? []).map(fromWireStepRun)
  }

  async updateStep(step: StepRunRecord, expected: readonly StepStatus[]): Promise<boolean> {
    const wire = toWireStepRun(step)
    const res = await this.http.post<{ updated?: boolean }>(`${PIPELINES}/steps/update`, { step: wire, expected: [...expected] })
    if (res.updated === true) return true
    // A request the transport retried (a gateway timed out after the server applied it) finds the step already
    // moved, by us. The record it holds is then exactly ours (a rival writes another worker and attempts).
    const stored = (await this.getSteps(step.runId)).find((s) => s.step === step.step)
    return stored !== undefined && JSON.stringify(toWireStepRun(stored)) === JSON.stringify(wire)
  }

  async findCached(cacheKey: string): Promise<StepRunRecord | undefined> {
    const res = await this.http.get<{ step?: WireStepRun }>(`${PIPELINES}/steps/cached`, { cache_key: cacheKey })
    return res.step === undefined ? undefined : fromWireStepRun(res.step)
  }

  async appendLog(runId: string, step: string, line: string, at: number): Promise<void> {
    await this.http.post(`${PIPELINES}/logs`, { run_id: runId, step, line, at })
  }

  async logs(runId: string, step?: string): Promise<Array<{ step: string; line: string; at: number }>> {
    const res = await this.http.get<{ logs?: Array<{ step: string; line: string; at: number }> }>(`${PIPELINES}/logs`, { run_id: runId, step })
    return (res.logs ?? []).map((l) => ({ step: l.step, line: l.line, at: Number(l.at) }))
  }
}
