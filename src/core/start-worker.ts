import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * Starts the worker module `name` (e.g. `forest-worker`) that sits beside `callerUrl` (pass `import.meta.url`).
 * Compiled, that is `<name>.js`. Running as TypeScript (vitest, tsx), the worker first registers tsx's loader,
 * because worker threads do not inherit the parent's module hooks.
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData })
  const entry = new URL(`./${name}.ts`, callerUrl).href
  let api: string
  try {
    api = pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  } catch {
    // No tsx: the runtime itself runs this .ts module (e.g. Node's type stripping), so it can run the worker too.
    return new Worker(new URL(entry), { workerData })
  }
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { eval: true, workerData })
}
