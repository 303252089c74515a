import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERROR_STATUS, KeelError, isKeelError } from '../core/errors.js'
import type { ErrorCode } from '../core/errors.js'
import type { Logger } from '../core/logger.js'

/**
 * The one error handler: every failure leaves as `{error_code, message[, details]}` with MLflow's status for
 * the code. Fastify's own errors (body parser, limits, media types) are translated, so a caller's mistake
 * is always 4xx; anything unexpected is 500 INTERNAL_ERROR and logged with its stack.
 */
export function installErrorHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const keelError = toKeelError(error, request)
    if (keelError.status >= 500) {
      logger.error(
        { err: error instanceof Error ? { message: error.message, stack: error.stack } : error, method: request.method, url: request.url },
        'request failed',
      )
    }
    // A parser error can leave unread bytes on the socket; the client must not reuse it.
    if (isFastifyError(error) && error.code.startsWith('FST_ERR_CTP')) reply.header('connection', 'close')
    return reply.status(keelError.status).type('application/json').send(keelError.toJSON())
  })

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new KeelError(
      'ENDPOINT_NOT_FOUND',
      `No endpoint ${request.method} ${request.url.split('?')[0] ?? ''}. The API is described at /openapi.json.`,
    )
    return reply.status(404).type('application/json').send(error.toJSON())
  })
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string'
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
}

/** Maps anything thrown in a request to the KeelError the caller sees. */
export function toKeelError(error: unknown, request?: FastifyRequest): KeelError {
  if (isKeelError(error)) return error
  if (isFastifyError(error)) {
    const code = FASTIFY_CODES[error.code]
    if (code === 'PAYLOAD_TOO_LARGE') {
      const limit = request?.routeOptions.bodyLimit
      return new KeelError(
        code,
        `The request body is larger than this endpoint accepts${limit === undefined ? '' : ` (${limit} bytes)`}; send less per request.`,
      )
    }
    if (code === 'UNSUPPORTED_MEDIA_TYPE') {
      return new KeelError(code, `Unsupported Content-Type '${String(request?.headers['content-type'] ?? '')}': send application/json.`)
    }
    if (code !== undefined) return new KeelError(code, `Bad request: ${error.message}`)
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const known = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status && c !== 'INVALID_PARAMETER_VALUE')
      return new KeelError(status === 400 || known === undefined ? 'BAD_REQUEST' : known, `Bad request: ${error.message}`)
    }
  }
  if (error instanceof SyntaxError) return new KeelError('BAD_REQUEST', `Malformed JSON in the request body: ${error.message}`)
  return new KeelError('INTERNAL_ERROR', 'An internal error occurred; it has been logged on the server.', { cause: error })
}
