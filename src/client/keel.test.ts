import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { manualClock } from '../core/clock.js'
import { Keel } from './keel.js'

const COMMIT = '0123456789abcdef0123456789abcdef01234567'

describe('Keel', () => {
  let dir: { path: string; remove: () => void }
  let keel: Keel

  beforeEach(async () => {
    dir = tempDir('keel-client-')
    // A git checkout with a commit, and a lockfile, so lineage capture has something to find.
    mkdirSync(join(dir.path, '.git', 'refs', 'heads'), { recursive: true })
    writeFileSync(join(dir.path, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    writeFileSync(join(dir.path, '.git', 'refs', 'heads', 'main'), `${COMMIT}\n`)
    writeFileSync(join(dir.path, 'package-lock.json'), '{"lockfileVersion":3}')
    keel = await Keel.open('sqlite::memory:', {
      artifactsRoot: join(dir.path, 'artifacts'),
      cwd: dir.path,
      user: 'ana',
      clock: manualClock(1_700_000_000_000),
    })
  })

  afterEach(async () => {
    await keel.close()
    dir.remove()
  })

  it('setExperiment gets or creates, and startRun uses it with MLflow system tags', async () => {
    const created = await keel.setExperiment('fraud')
    expect((await keel.setExperiment('fraud')).experimentId).toBe(created.experimentId)
    const run = await keel.startRun({ runName: 'first', tags: { team: 'risk' } })
    expect(run.experimentId).toBe(created.experimentId)
    expect(run.info).toMatchObject({ runName: 'first', status: 'RUNNING', userId: 'ana', startTime: 1_700_000_000_000 })
    const tags = Object.fromEntries((await keel.tracking.getRun(run.id)).data.tags.map((t) => [t.key, t.value]))
    expect(tags).toMatchObject({
      'mlflow.user': 'ana',
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.git.commit': COMMIT,
      team: 'risk',
    })

    const child = await keel.startRun({ experiment: 'other', parentRunId: run.id })
    expect(child.experimentId).not.toBe(created.experimentId)
    const childTags = (await keel.tracking.getRun(child.id)).data.tags
    expect(childTags).toContainEqual({ key: 'mlflow.parentRunId', value: run.id })
    expect((await keel.startRun({ experimentId: '0' })).experimentId).toBe('0')
  })

  it('refuses to set a deleted experiment, saying how to restore it', async () => {
    const experiment = await keel.setExperiment('old')
    await keel.tracking.deleteExperiment(experiment.experimentId)
    await expect(keel.setExperiment('old')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('keel experiments restore'),
    })
  })

  it('registerModel creates the model, fills lineage from the environment and the run, and resolves URIs', async () => {
    const run = await keel.startRun({ runName: 'train' })
    await run.logDataset({ name: 'eval', digest: 'e1', source: 'eval.csv' }, 'eval')
    await run.logDataset({ name: 'train', digest: 't1', source: 'train.csv' }, 'training')
    await run.end()

    const v1 = await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: 'model', description: 'first' })
    expect(v1).toMatchObject({ name: 'fraud', version: '1', runId: run.id, description: 'first', userId: 'ana' })
    expect(v1.source).toBe(`${run.artifactUri}/model`)
    expect(v1.lineage).toMatchObject({
      codeVersion: COMMIT,
      datasetDigest: 't1',
      environment: { node: process.version, lockfileHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    })
    // Given lineage wins over what would be captured.
    const v2 = await keel.registerModel({
      name: 'fraud',
      source: 's3://bucket/model',
      lineage: { codeVersion: 'given', environment: { node: 'v0', keel: 'x' } },
      tags: { stage: 'candidate' },
    })
    expect(v2).toMatchObject({ version: '2', source: 's3://bucket/model', tags: [{ key: 'stage', value: 'candidate' }] })
    expect(v2.lineage).toEqual({ codeVersion: 'given', environment: { node: 'v0', keel: 'x' } })

    await keel.setAlias('fraud', 'champion', 2)
    expect((await keel.resolve('models:/fraud@champion')).version).toBe('2')
    expect((await keel.registry.aliasHistory('fraud'))[0]).toMatchObject({ toVersion: '2', movedBy: 'ana' })

    await expect(keel.registerModel({ name: 'fraud' })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('artifactPath'),
    })
    await expect(keel.registerModel({ name: 'fraud', source: 'runs:/0123456789abcdef0123456789abcdef/model' })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    })
  })

  it('close() sends the metrics open runs still hold and leaves their status alone', async () => {
    const file = `sqlite:${join(dir.path, 'shared.db')}`
    const options = { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path, flushIntervalMs: 60_000 }
    const writer = await Keel.open(file, options)
    const run = await writer.startRun()
    run.logMetric('loss', 0.25, 3)
    await writer.close()
    const reader = await Keel.open(file, options)
    try {
      const history = await reader.tracking.getMetricHistory(run.id, 'loss')
      expect(history.items.map((m) => [m.step, m.value])).toEqual([[3, 0.25]])
      expect((await reader.tracking.getRun(run.id)).info.status).toBe('RUNNING')
    } finally {
      await reader.close()
    }
  })

  it('sends buffered metrics before the process exits, even without end() or flush()', () => {
    const file = `sqlite:${join(dir.path, 'exit.db')}`
    const script = join(dir.path, 'train.mts')
    const keelModule = fileURLToPath(new URL('./keel.js', import.meta.url)).replace(/\.js$/, '.ts')
    writeFileSync(
      script,
      `import { Keel } from ${JSON.stringify(keelModule)}
const keel = await Keel.open(${JSON.stringify(file)}, { artifactsRoot: ${JSON.stringify(join(dir.path, 'artifacts'))}, flushIntervalMs: 3_600_000 })
const run = await keel.startRun({ runName: 'forgetful' })
for (let step = 0; step < 700; step++) run.logMetric('loss', 1 / (step + 1), step)
console.log(run.id)
`,
    )
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 })
    expect(child.stderr).not.toMatch(/Error/)
    expect(child.status).toBe(0)
    const runId = child.stdout.trim()
    return (async () => {
      const reader = await Keel.open(file, { artifactsRoot: join(dir.path, 'artifacts') })
      try {
        const history = await reader.tracking.getMetricHistory(runId, 'loss', { maxResults: 25_000 })
        expect(history.items).toHaveLength(700)
      } finally {
        await reader.close()
      }
    })()
  })
})
