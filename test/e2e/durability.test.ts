import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp-dir.js'

const CLI = fileURLToPath(new URL('../support/keel-cli.ts', import.meta.url))
const POINTS_PER_BATCH = 100
const CLIENTS = 4

function startServer(dbPath: string, artifacts: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', '--port', '0', '--store', `sqlite:${dbPath}`, '--artifacts', artifacts], {
    env: { ...process.env, KEEL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${text}`)), 30_000)
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(text)
      if (match) {
        clearTimeout(timer)
        resolve({ child, url: match[1]! })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${text}`))
    })
  })
}

async function post<T>(url: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`${path} → ${response.status}`)
  return (await response.json()) as T
}

async function history(url: string, runId: string, key: string): Promise<Set<number>> {
  const steps = new Set<number>()
  let token: string | undefined
  for (let page = 0; page < 1000; page++) {
    const query = new URLSearchParams({ run_id: runId, metric_key: key, max_results: '25000' })
    if (token !== undefined) query.set('page_token', token)
    const response = await fetch(`${url}/api/2.0/mlflow/metrics/get-history?${query}`)
    const body = (await response.json()) as { metrics?: Array<{ step: number }>; next_page_token?: string }
    for (const point of body.metrics ?? []) steps.add(Number(point.step))
    token = body.next_page_token
    if (token === undefined || token === '') break
  }
  return steps
}

const children: ChildProcess[] = []
const dirs: Array<() => void> = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const remove of dirs.splice(0)) remove()
})

describe('durability under SIGKILL', () => {
  it('keeps every acknowledged log-batch and an intact database after the server is killed mid-load', async () => {
    const dir = tempDir('keel-durability-')
    dirs.push(dir.remove)
    const dbPath = join(dir.path, 'keel.db')
    const artifacts = join(dir.path, 'artifacts')

    const first = await startServer(dbPath, artifacts)
    children.push(first.child)
    const { experiment_id } = await post<{ experiment_id: string }>(first.url, '/api/2.0/mlflow/experiments/create', { name: 'durability' })
    const { run } = await post<{ run: { info: { run_id: string } } }>(first.url, '/api/2.0/mlflow/runs/create', { experiment_id, start_time: 1 })
    const runId = run.info.run_id

    // Each client logs its own metric in 100-point batches; a batch counts only once the server answered 200.
    const acknowledged: number[][] = Array.from({ length: CLIENTS }, () => [])
    const attempted: number[][] = Array.from({ length: CLIENTS }, () => [])
    let totalAcked = 0
    let killed = false
    const client = async (c: number): Promise<void> => {
      for (let batch = 0; batch < 5000 && !killed; batch++) {
        attempted[c]!.push(batch)
        const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, i) => ({ key: `client${c}`, value: batch + i / 1000, timestamp: 1_700_000_000_000 + batch, step: batch * POINTS_PER_BATCH + i }))
        try {
          await post(first.url, '/api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics })
        } catch {
          return // the server is gone
        }
        acknowledged[c]!.push(batch)
        totalAcked++
        if (totalAcked >= 400 && !killed) {
          killed = true
          first.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)))
    expect(killed).toBe(true)
    await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())))

    const second = await startServer(dbPath, artifacts)
    children.push(second.child)
    for (let c = 0; c < CLIENTS; c++) {
      const steps = await history(second.url, runId, `client${c}`)
      for (const batch of acknowledged[c]!) {
        for (let i = 0; i < POINTS_PER_BATCH; i++) expect(steps.has(batch * POINTS_PER_BATCH + i)).toBe(true)
      }
      // A batch is all or nothing: an unacknowledged one may have landed, but never in part.
      for (const batch of attempted[c]!) {
        let present = 0
        for (let i = 0; i < POINTS_PER_BATCH; i++) if (steps.has(batch * POINTS_PER_BATCH + i)) present++
        expect([0, POINTS_PER_BATCH]).toContain(present)
      }
      expect(steps.size).toBeGreaterThanOrEqual(acknowledged[c]!.length * POINTS_PER_BATCH)
    }
    second.child.kill('SIGTERM')
    await new Promise<void>((resolve) => second.child.once('exit', () => resolve()))

    const db = new Database(dbPath, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  }, 120_000)
})
