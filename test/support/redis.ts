import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

/** The Redis the CI starts (scripts/start-redis.sh); tests start their own when it is not set. */
export const REDIS_URL = process.env['REDIS_URL']

/** True when a Redis can be had: REDIS_URL is set, or Debian's redis-server is installed. */
export const REDIS_AVAILABLE = REDIS_URL !== undefined || spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

export interface TestRedis {
  url: string
  stop(): Promise<void>
}

/**
 * A Redis for one test file: the shared one at REDIS_URL (tests isolate themselves with their own queue
 * names), or else a throwaway `redis-server` on 127.0.0.1 at a free port, without persistence.
 */
export async function startRedis(): Promise<TestRedis> {
  if (REDIS_URL !== undefined) return { url: REDIS_URL, stop: async () => {} }
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${String(code)}:\n${output}`))
    })
  })
  child.stdout.removeAllListeners('data')
  child.stderr.removeAllListeners('data')
  child.removeAllListeners('exit')
  child.stdout.resume()
  child.stderr.resume()
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** A queue name no other test uses, so tests sharing one Redis never see each other's jobs. */
export function uniqueQueue(prefix = 'keel-test'): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
