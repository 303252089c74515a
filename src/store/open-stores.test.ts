import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshPostgresDatabase, POSTGRES_URL } from '../../test/support/postgres.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { DEFAULT_STORE_URI, openStores, parseStoreUri } from './open-stores.js'
import type { Stores } from './open-stores.js'

describe('parseStoreUri', () => {
  it.each([
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
    ['sqlite:.keel/keel.db', { kind: 'sqlite', path: '.keel/keel.db' }],
    ['sqlite:///abs/path.db', { kind: 'sqlite', path: '/abs/path.db' }],
    ['sqlite:/abs/other.db', { kind: 'sqlite', path: '/abs/other.db' }],
    ['data/keel.db', { kind: 'sqlite', path: 'data/keel.db' }],
    ['/var/lib/keel/meta.sqlite', { kind: 'sqlite', path: '/var/lib/keel/meta.sqlite' }],
    ['postgres://keel@db:5432/keel', { kind: 'postgres', connectionString: 'postgres://keel@db:5432/keel' }],
    ['postgresql://keel@db/keel', { kind: 'postgres', connectionString: 'postgresql://keel@db/keel' }],
    ['http://127.0.0.1:5000', { kind: 'http', baseUrl: 'http://127.0.0.1:5000' }],
    ['https://keel.example.com/prefix', { kind: 'http', baseUrl: 'https://keel.example.com/prefix' }],
  ])('%s', (uri, expected) => {
    expect(parseStoreUri(uri)).toEqual(expected)
  })

  it('defaults to a SQLite file under .keel', () => {
    expect(parseStoreUri(DEFAULT_STORE_URI)).toEqual({ kind: 'sqlite', path: '.keel/keel.db' })
  })

  it.each(['mysql://root@db/keel', 'keel', '', 'ftp://x/y.db', 'sqlite:'])('rejects %j naming the accepted forms', (uri) => {
    let caught: unknown
    try {
      parseStoreUri(uri)
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    expect((caught as Error).message).toMatch(/sqlite:/)
  })
})

describe('openStores over SQLite', () => {
  let dir: { path: string; remove: () => void }
  const open: Stores[] = []

  beforeEach(() => {
    dir = tempDir('keel-open-')
  })

  afterEach(async () => {
    for (const stores of open.splice(0)) await stores.close()
    dir.remove()
  })

  async function openTracked(uri: string, options: Parameters<typeof openStores>[1] = {}): Promise<Stores> {
    const stores = await openStores(uri, options)
    open.push(stores)
    return stores
  }

  it('migrates a new file, keeps artifacts beside it, and finds the data again after reopening', async () => {
    const file = join(dir.path, 'nested', 'keel.db')
    const stores = await openTracked(`sqlite://${file}`)
    expect(existsSync(file)).toBe(true)
    expect((await stores.tracking.getExperiment('0')).name).toBe('Default')
    const id = await stores.tracking.createExperiment({ name: 'fraud' })
    await stores.registry.createRegisteredModel({ name: 'fraud-model' })
    await stores.artifacts.put('1/run/artifacts/model.json', Buffer.from('{"w":[1,2]}'))
    expect(existsSync(join(dir.path, 'nested', 'artifacts'))).toBe(true)
    await stores.close()
    await stores.close() // idempotent

    const again = await openTracked(file) // a bare path ending in .db
    expect((await again.tracking.getExperimentByName('fraud'))?.experimentId).toBe(id)
    expect((await again.registry.getRegisteredModel('fraud-model')).name).toBe('fraud-model')
    expect(await text((await again.artifacts.get('1/run/artifacts/model.json')).body)).toBe('{"w":[1,2]}')
  })

  it('honours an explicit artifact root and validates through Tracking', async () => {
    const root = join(dir.path, 'elsewhere')
    const stores = await openTracked('sqlite::memory:', { artifactsRoot: root })
    await stores.artifacts.put('a/b.txt', Buffer.from('hi'))
    expect(readdirSync(root).sort()).toContain('refs')
    await expect(stores.tracking.createExperiment({ name: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(stores.tracking.getRun('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    })
  })

  it('collects garbage: purges a deleted run and deletes its artifact files', async () => {
    const stores = await openTracked(`sqlite:${join(dir.path, 'keel.db')}`)
    const run = await stores.tracking.createRun({ experimentId: '0', startTime: Date.now() })
    const kept = await stores.tracking.createRun({ experimentId: '0', startTime: Date.now() })
    const root = run.info.artifactUri.replace('mlflow-artifacts:/', '')
    await stores.artifacts.put(`${root}/model/a.bin`, Buffer.alloc(10, 1))
    await stores.artifacts.put(`${root}/model/b.bin`, Buffer.alloc(10, 2))
    await stores.tracking.deleteRun(run.info.runId)

    const result = await stores.collectGarbage()
    expect(result.runIds).toEqual([run.info.runId])
    expect(result.artifactFilesDeleted).toBe(2)
    await expect(stores.tracking.getRun(run.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    expect((await stores.tracking.getRun(kept.info.runId)).info.runId).toBe(kept.info.runId)
    expect(await stores.artifacts.list(`${root}/model`)).toEqual([])
  })

  it('closes the driver when a migration fails, and reports the error', async () => {
    const file = join(dir.path, 'not-a-db.db')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, 'this is not a SQLite database, but it is long enough to have a header.............')
    await expect(openStores(file)).rejects.toThrow()
  })
})

describe('openStores over HTTP', () => {
  it('opens without connecting and carries transport options (no retries here)', async () => {
    const stores = await openStores('http://user:secret@127.0.0.1:9/', { http: { maxRetries: 0, timeoutMs: 5000 } })
    expect(stores.uri).not.toContain('secret')
    await expect(stores.tracking.getExperiment('0')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' })
    await stores.close()
  })
})

describe.skipIf(POSTGRES_URL === undefined)('openStores over PostgreSQL (needs POSTGRES_URL)', () => {
  it('migrates a fresh database and serves tracking and registry', async () => {
    const url = await freshPostgresDatabase()
    const dir = tempDir('keel-open-pg-')
    const stores = await openStores(url, { artifactsRoot: dir.path })
    try {
      const id = await stores.tracking.createExperiment({ name: 'pg-exp' })
      expect((await stores.tracking.getExperiment(id)).name).toBe('pg-exp')
      await stores.registry.createRegisteredModel({ name: 'pg-model' })
      expect((await stores.registry.getRegisteredModel('pg-model')).name).toBe('pg-model')
    } finally {
      await stores.close()
      dir.remove()
    }
    // a second open of the same database finds the migrations applied
    const again = await openStores(url, { artifactsRoot: dir.path })
    try {
      expect((await again.tracking.getExperimentByName('pg-exp'))?.name).toBe('pg-exp')
    } finally {
      await again.close()
    }
  })
})
