import { ERROR_STATUS, KeelError } from '../../core/errors.js'
import type { ErrorCode } from '../../core/errors.js'

/** Statuses worth another attempt: rate limits and gateways or servers that are briefly unavailable. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** Errors raised before a request reached the server: safe to retry whatever the method. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** MLflow error codes keel does not define, folded into the nearest keel code. */
const CODE_ALIASES: Record<string, ErrorCode> = {
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  RESOURCE_EXHAUSTED: 'REQUEST_LIMIT_EXCEEDED',
  CUSTOMER_UNAUTHORIZED: 'UNAUTHENTICATED',
}

/** MLflow's error JSON `{error_code, message, details}` → KeelError; a non-JSON body is classified by status. */
export function errorFromResponse(status: number, text: string, method: string, path: string): KeelError {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const body = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  const rawCode = body['error_code']
  const message = typeof body['message'] === 'string' ? body['message'] : undefined
  const details = body['details'] !== null && typeof body['details'] === 'object' ? body['details'] : undefined
  let code: ErrorCode = codeFromStatus(status)
  if (typeof rawCode === 'string') {
    if (rawCode in ERROR_STATUS) code = rawCode as ErrorCode
    else if (rawCode in CODE_ALIASES) code = CODE_ALIASES[rawCode] ?? code
  }
  const text200 = text.trim().slice(0, 200)
  const fallback =
    status === 404 && rawCode === undefined
      ? `The server has no endpoint ${method} ${path} (HTTP 404); is the URL a keel or MLflow server?`
      : `HTTP ${status} from ${method} ${path}${text200 === '' ? '' : `: ${text200}`}`
  const options: { details?: Record<string, unknown>; retryable?: boolean } = {}
  if (details !== undefined) options.details = details as Record<string, unknown>
  if (RETRY_STATUSES.has(status)) options.retryable = true
  return new KeelError(code, message ?? fallback, options)
}

function codeFromStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST'
    case 401:
      return 'UNAUTHENTICATED'
    case 403:
      return 'PERMISSION_DENIED'
    case 404:
      return 'ENDPOINT_NOT_FOUND'
    case 409:
      return 'RESOURCE_CONFLICT'
    case 413:
      return 'PAYLOAD_TOO_LARGE'
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE'
    case 429:
      return 'REQUEST_LIMIT_EXCEEDED'
    case 501:
      return 'NOT_IMPLEMENTED'
    case 502:
    case 503:
    case 504:
      return 'TEMPORARILY_UNAVAILABLE'
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'
  }
}

export function networkFailure(
  error: unknown,
  timedOut: boolean,
  method: string,
  url: string,
): { error: KeelError; notSent: boolean } {
  if (timedOut) {
    return {
      notSent: false,
      error: new KeelError('TEMPORARILY_UNAVAILABLE', `${method} ${url} timed out; the server did not answer in time.`, {
        cause: error,
        retryable: true,
      }),
    }
  }
  const cause = (error as { cause?: unknown }).cause
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code
  const codeText = typeof code === 'string' ? code : 'network error'
  return {
    notSent: typeof code === 'string' && NOT_SENT_CODES.has(code),
    error: new KeelError(
      'TEMPORARILY_UNAVAILABLE',
      `Cannot reach the keel server for ${method} ${url} (${codeText}); check that it is running and the URL is right.`,
      { cause: error, retryable: true },
    ),
  }
}
