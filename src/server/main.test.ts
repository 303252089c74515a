import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../core/logger.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { startServer } from './main.js'

describe('startServer', () => {
  const dirs: Array<{ remove(): void }> = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove()
  })

  it('opens the stores, listens on a free port, serves the API and closes cleanly, twice', async () => {
    const dir = tempDir('keel-main-')
    dirs.push(dir)
    const storeUri = `sqlite:${join(dir.path, 'keel.db')}`
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      storeUri,
      artifactsRoot: join(dir.path, 'artifacts'),
      logger: silentLogger,
      handleSignals: false,
    })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('OK')
    const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'persisted' }),
    })
    expect(created.status).toBe(200)
    await server.close()
    await server.close()
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()

    // The data outlives the process: a second server on the same file sees it.
    const again = await startServer({ host: '127.0.0.1', port: 0, storeUri, logger: silentLogger, handleSignals: false })
    try {
      const found = await fetch(`${again.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=persisted`)
      expect(found.status).toBe(200)
    } finally {
      await again.close()
    }
  })

  it('refuses an unknown store URI before listening', async () => {
    await expect(startServer({ port: 0, storeUri: 'mongodb://x', logger: silentLogger, handleSignals: false })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
  })
})
