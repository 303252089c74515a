import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { artifactPathFromUri, checkArtifactPath } from '../../artifacts/artifact-path.js'
import { KeelError } from '../../core/errors.js'
import { API_BASES } from '../../protocol/endpoint.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { toWireFileInfo } from '../../protocol/mlflow-wire.js'
import { addEndpoint } from '../route.js'
import type { ServerContext } from '../server-context.js'
import { runIdOf } from './runs.js'

const MPU_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository'

/** Types a browser may render inline are served as text/plain, as MLflow does, so an artifact cannot script the UI. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/plain',
  yaml: 'text/plain',
  yml: 'text/plain',
  csv: 'text/plain',
  html: 'text/plain',
  htm: 'text/plain',
  svg: 'text/plain',
  js: 'text/plain',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
}

function mimeType(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  if (name === 'MLmodel') return 'text/plain'
  return (dot > 0 ? MIME_TYPES[name.slice(dot + 1).toLowerCase()] : undefined) ?? 'application/octet-stream'
}

/**
 * `artifacts/list` (by run) and the artifact proxy `/mlflow-artifacts/artifacts/<path>`: PUT streams the raw
 * body into the store, GET streams it back, DELETE removes it, `?path=` lists a directory. Multipart upload
 * answers NOT_IMPLEMENTED so MLflow clients fall back to PUT.
 */
export function artifactRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking, artifacts } = ctx

  addEndpoint(app, ENDPOINTS.listArtifacts, async (input) => {
    const run = await tracking.getRun(runIdOf(input))
    const root = artifactPathFromUri(run.info.artifactUri)
    const dir = checkArtifactPath(input.path ?? '', { allowRoot: true })
    const files = await artifacts.list(joinPath(root, dir))
    return { root_uri: run.info.artifactUri, files: files.map((f) => toWireFileInfo(f, dir)) }
  })

  addEndpoint(app, ENDPOINTS.listArtifactsProxy, async (input) => {
    const dir = checkArtifactPath(input.path ?? '', { allowRoot: true })
    const files = await artifacts.list(dir)
    return { files: files.map((f) => toWireFileInfo(f)) }
  })

  const unsupported = async (input: { artifact_path: string }): Promise<never> => {
    checkArtifactPath(input.artifact_path)
    throw new KeelError('NOT_IMPLEMENTED', MPU_UNSUPPORTED)
  }
  addEndpoint(app, ENDPOINTS.createMultipartUpload, unsupported)
  addEndpoint(app, ENDPOINTS.completeMultipartUpload, unsupported)
  addEndpoint(app, ENDPOINTS.abortMultipartUpload, unsupported)

  for (const base of API_BASES.mlflow) {
    const url = `${base}/mlflow-artifacts/artifacts/*`

    app.get(url, async (request, reply) => {
      const path = wildcardPath(request)
      const file = await artifacts.get(path)
      const name = path.slice(path.lastIndexOf('/') + 1)
      return reply
        .header('content-length', file.size)
        // keel's clients verify downloads against the digest (MLflow clients ignore the header).
        .header('x-keel-digest', file.digest)
        .header('content-disposition', `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`)
        .header('x-content-type-options', 'nosniff')
        .type(mimeType(path))
        .send(file.body)
    })

    app.delete(url, async (request) => ({ files_deleted: await artifacts.delete(wildcardPath(request)) }))
  }

  // Uploads take any content type and must not be buffered: a child context whose only parser hands the
  // request stream through untouched.
  void app.register(async (child) => {
    child.removeAllContentTypeParsers()
    child.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    for (const base of API_BASES.mlflow) {
      child.put(`${base}/mlflow-artifacts/artifacts/*`, async (request, reply) => upload(request, reply))
    }
  })

  async function upload(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const body = request.body as Readable | undefined
    try {
      await artifacts.put(wildcardPath(request), body ?? new Uint8Array(0))
    } catch (error) {
      // Refused before (or while) reading: drop the rest of the upload and do not reuse the connection.
      if (body !== undefined && !body.readableEnded) body.resume()
      reply.header('connection', 'close')
      if (request.raw.aborted || isAbort(error)) {
        throw new KeelError('BAD_REQUEST', 'The upload was interrupted before its end; send the file again.', { cause: error })
      }
      throw error
    }
    return reply.send({})
  }
}

/** The client went away mid-upload: its mistake (or its network's), not the server's. */
function isAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR'
}

function wildcardPath(request: FastifyRequest): string {
  const raw = (request.params as Record<string, string | undefined>)['*'] ?? ''
  return checkArtifactPath(raw)
}

function joinPath(root: string, dir: string): string {
  if (root === '') return dir
  return dir === '' ? root : `${root}/${dir}`
}
