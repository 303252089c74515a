import { afterAll, beforeAll, describe } from 'vitest'
import { executorSuite } from '../../test/support/executor-suite.js'
import { REDIS_AVAILABLE, startRedis, uniqueQueue } from '../../test/support/redis.js'
import type { TestRedis } from '../../test/support/redis.js'
import { BullmqExecutor } from './bullmq-executor.js'
import { startPipelineWorker } from './pipeline-worker.js'

// The same engine suite as the local executor, with every step going through Redis to two in-process workers.
describe.skipIf(!REDIS_AVAILABLE)('BullMQ executor (needs redis-server or REDIS_URL)', () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis.stop()
  })

  executorSuite(
    'bullmq',
    async ({ keel, registry }) => {
      const queue = uniqueQueue()
      const workers = ['suite-a', 'suite-b'].map((id) => startPipelineWorker({ connection: redis.url, queue, keel, registry, concurrency: 4, id }))
      await Promise.all(workers.map((w) => w.ready()))
      return { executor: new BullmqExecutor({ connection: redis.url, queue, keel }), close: async () => void (await Promise.all(workers.map((w) => w.close(true)))) }
    },
    { worker: /^suite-[ab]$/ },
  )
})
