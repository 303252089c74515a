import type { ErrorCode } from './errors.js'

export interface ErrorCatalogueEntry {
  /** What the code says happened, in one line. */
  meaning: string
  /** What the caller should do about it, in one line. */
  fix: string
}

/**
 * What every error code means and what to do about it: the source of docs/errors.md. Typed as a full
 * `Record<ErrorCode, …>` so adding a code to `ERROR_STATUS` without documenting it does not compile.
 */
export const ERROR_CATALOGUE: Record<ErrorCode, ErrorCatalogueEntry> = {
  INVALID_PARAMETER_VALUE: {
    meaning:
      'a field of the request is missing, malformed or out of range (a bad `filter` or `order_by`, a key too long, a changed param, an unknown alias), or the run or experiment it targets is deleted',
    fix: 'read the message: it names the field and the accepted values; restore a deleted run or experiment before writing to it',
  },
  BAD_REQUEST: {
    meaning: 'the request itself could not be read: malformed JSON, a body that is not a JSON object, a bad URL, or an interrupted upload',
    fix: 'send one JSON object with `Content-Type: application/json` (see `/openapi.json`); send an interrupted upload again',
  },
  RESOURCE_ALREADY_EXISTS: {
    meaning: 'an experiment or registered model with that name exists (a deleted experiment still holds its name)',
    fix: 'pick another name, or get the existing one; restore a deleted experiment, or purge it with `keel gc` to reuse its name',
  },
  PAYLOAD_TOO_LARGE: {
    meaning: 'the request body is larger than the endpoint accepts (JSON bodies: 4 MB by default)',
    fix: 'send less per request, e.g. split a `log-batch` into several calls',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    meaning: 'the request has a body with a Content-Type the endpoint does not read',
    fix: 'send JSON with `Content-Type: application/json` (artifact uploads take any type)',
  },
  RESOURCE_DOES_NOT_EXIST: {
    meaning: 'no experiment, run, registered model, model version, logged model, tag, webhook or artifact has that id or name',
    fix: 'check the id or name (`keel experiments list --view all`, `keel runs search`, `keel models list`); it may have been purged',
  },
  ENDPOINT_NOT_FOUND: {
    meaning: 'the server has no endpoint at that method and path',
    fix: 'check the URL, method and API version prefix (`/api/2.0/mlflow/...`); the server lists its API at `/openapi.json`',
  },
  RESOURCE_CONFLICT: {
    meaning: 'the request conflicts with the current state of the resource (reported by a server keel talks to)',
    fix: 'read the resource again and repeat the change on its current state',
  },
  ABORTED: {
    meaning: 'long work (training, cross-validation, a search) stopped because its caller aborted it; nothing partial was kept',
    fix: 'run it again without aborting, or with a longer timeout',
  },
  PERMISSION_DENIED: {
    meaning: 'the server, or a proxy in front of it, refused the call for this user',
    fix: 'ask whoever runs the server for access, or use an account that has it',
  },
  UNAUTHENTICATED: {
    meaning: 'the server, or a proxy in front of it, needs credentials and got none or wrong ones',
    fix: 'set `KEEL_TRACKING_TOKEN`, or `KEEL_TRACKING_USERNAME` and `KEEL_TRACKING_PASSWORD` (or `user:password@` in the URL)',
  },
  REQUEST_LIMIT_EXCEEDED: {
    meaning: 'the server, or a proxy in front of it, is rate limiting this caller',
    fix: "slow down and send fewer, larger batches; keel's HTTP client already retries these with backoff",
  },
  INVALID_STATE: {
    meaning: 'keel found itself in a state it cannot continue from: an ended run logged to, or a database whose migrations differ from this version',
    fix: 'start a new run to log more; for migrations, run the keel version that created the database, never edit an applied migration',
  },
  DATA_LOSS: {
    meaning: 'stored data is damaged or arrived corrupted: an artifact whose digest does not match, an unreadable artifact record or metric block',
    fix: 'download again if it arrived corrupted; otherwise delete and re-upload the artifact, or restore the database from a backup',
  },
  INTERNAL_ERROR: {
    meaning: 'an unexpected failure on the server (a bug), or an answer from the server that is not JSON',
    fix: 'the server logged the stack trace; report it with the request. Check that the URL points at a keel or MLflow server',
  },
  NOT_IMPLEMENTED: {
    meaning: 'the operation is not available on this store or server (multipart artifact uploads; webhook delivery or artifact garbage collection called on an HTTP store directly)',
    fix: 'use the alternative the message names, e.g. `keel gc --store <server url>`, or run the operation against a SQL store',
  },
  TEMPORARILY_UNAVAILABLE: {
    meaning: 'the database is busy or unreachable, a concurrent write conflicted, or the server did not answer in time',
    fix: "retry the call (keel's HTTP client already retries these with backoff); if it persists, check that the database or server is up",
  },
}
