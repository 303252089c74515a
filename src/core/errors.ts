/**
 * The one error class of keel. Callers compare `code`, never `instanceof` across packages.
 * Codes are MLflow's where MLflow has one (its clients branch on them), keel's own otherwise.
 */
export const ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface KeelErrorOptions {
  details?: Record<string, unknown>
  cause?: unknown
  /** Whether repeating the same call later may succeed (a busy database, a network blip). */
  retryable?: boolean
}

export class KeelError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown>
  readonly retryable: boolean

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KeelError'
    this.code = code
    this.details = options.details ?? {}
    this.retryable = options.retryable ?? ERROR_STATUS[code] >= 500
  }

  get status(): number {
    return ERROR_STATUS[this.code]
  }

  toJSON(): { error_code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { error_code: this.code, message: this.message, details: this.details }
      : { error_code: this.code, message: this.message }
  }
}

export function isKeelError(value: unknown): value is KeelError {
  if (!(value instanceof Error)) return false
  const code: unknown = (value as unknown as { code?: unknown }).code
  return typeof code === 'string' && code in ERROR_STATUS && 'details' in value
}

export const invalidParameter = (message: string, details?: Record<string, unknown>): KeelError =>
  new KeelError('INVALID_PARAMETER_VALUE', message, details === undefined ? {} : { details })

export const notFound = (message: string, details?: Record<string, unknown>): KeelError =>
  new KeelError('RESOURCE_DOES_NOT_EXIST', message, details === undefined ? {} : { details })

/** Long work (training, a search) stopped because its caller aborted it; nothing partial is returned. */
export const aborted = (message: string, details?: Record<string, unknown>): KeelError =>
  new KeelError('ABORTED', message, { details: { aborted: true, ...details }, retryable: false })

export const alreadyExists = (message: string, details?: Record<string, unknown>): KeelError =>
  new KeelError('RESOURCE_ALREADY_EXISTS', message, details === undefined ? {} : { details })
