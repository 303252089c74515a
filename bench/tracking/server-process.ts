import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/keel.js', import.meta.url))

export interface ServerProcess {
  url: string
  child: ChildProcess
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts `keel server` in its own process (so load generation and the server do not share a core) on a free port. */
export async function startServerProcess(storeUri: string, artifactsRoot: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--store', storeUri, '--artifacts', artifactsRoot], {
    env: { ...process.env, KEEL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'pipe'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`keel server did not start in 30 s:\n${text}`)), 30_000)
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const match = /listening on (http:\/\/[^\s]+)/.exec(text)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`keel server exited with ${code}:\n${text}`))
    })
  })
  return {
    url,
    child,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill(signal)
      }),
  }
}
