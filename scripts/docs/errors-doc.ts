import { EXIT } from '../../src/cli/main.js'
import { ERROR_CATALOGUE } from '../../src/core/error-catalogue.js'
import { ERROR_STATUS, notFound } from '../../src/core/errors.js'
import type { ErrorCode } from '../../src/core/errors.js'
import { RETRY_STATUSES } from '../../src/store/http/http-errors.js'
import { cell, generatedNote } from './markdown.js'

/** Codes by HTTP status, keeping ERROR_STATUS's order within one status. */
export function catalogueCodes(): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[])
    .map((code, index) => ({ code, index }))
    .sort((a, b) => ERROR_STATUS[a.code] - ERROR_STATUS[b.code] || a.index - b.index)
    .map(({ code }) => code)
}

/** The run id of the error examples (errors.md, and the validation error of http-api.md). */
export const EXAMPLE_RUN_ID = '5c1e0a7d3b9f4e2a8d6c0b1f2e3a4d5c'

/** docs/errors.md: the error shape, how statuses are chosen, and every code. */
export function errorsDoc(): string {
  const example = notFound(`Run with id=${EXAMPLE_RUN_ID} not found. Check the run id (32 hex characters, see runs/search).`, {
    run_id: EXAMPLE_RUN_ID,
  })
  const rows = catalogueCodes().map((code) => {
    const entry = ERROR_CATALOGUE[code]
    return `| \`${code}\` | ${ERROR_STATUS[code]} | ${cell(entry.meaning)} | ${cell(entry.fix)} |`
  })
  const retried = [...RETRY_STATUSES].sort((a, b) => a - b).join(', ')
  return `${[
    generatedNote('ERROR_STATUS (src/core/errors.ts) and ERROR_CATALOGUE (src/core/error-catalogue.ts)'),
    '# Errors',
    `Every failure in keel is a \`KeelError\` with a stable code, and it looks the same everywhere: in the HTTP API, in
the TypeScript client and on the command line. This page lists every code, what it means and what to do.`,
    `## The error shape

Over HTTP, a failed call answers with the status of its code and this JSON body:

\`\`\`json
${JSON.stringify(example.toJSON(), null, 2)}
\`\`\`

- \`error_code\`: the stable code from the table below. Programs branch on it, never on the message.
- \`message\`: for people; it names the field or the resource and says how to fix the call.
- \`details\`: structured context (the offending ids or values) when there is some; omitted when empty.

In TypeScript the same error is a \`KeelError\` with \`code\`, \`message\`, \`details\`, \`status\` and \`retryable\`
(compare \`error.code\`, or use \`isKeelError(error)\`, rather than \`instanceof\`). On the command line it is printed
as \`error: <message> (<error_code>)\` on stderr with exit code ${EXIT.failed}; see [cli.md](cli.md#exit-codes).`,
    `## HTTP statuses follow MLflow's table

keel speaks MLflow's REST API, so each code has the status MLflow gives it (\`ERROR_CODE_TO_HTTP_STATUS\` in MLflow),
including the surprising ones: \`RESOURCE_ALREADY_EXISTS\` is 400, not 409, because MLflow's clients expect 400.

This matters most for the split between 4xx and 5xx. MLflow's clients retry 500, 502, 503 and 504 answers (and
408 and 429) up to 7 times with exponential backoff, about four minutes in all, before they give up. A caller's
mistake answered with a 5xx would make a training script hang for minutes and then fail anyway. So a mistake of
the caller is always a 4xx: a malformed body, an invalid field value or a body that is too large is rejected
with a 4xx code and a message saying how to fix it. Only a fault on the server side is a 5xx; an unexpected one
is answered as \`INTERNAL_ERROR\` with a generic message, and logged with its stack trace on the server.

Retrying only helps with server-side faults and rate limits. \`KeelError.retryable\` says whether repeating the
same call later may succeed (by default: for 5xx codes), and keel's HTTP client retries by itself, with backoff,
on connection failures and on statuses ${retried}. Error codes that MLflow has and keel does not (such as
\`NOT_FOUND\` or \`ALREADY_EXISTS\`, sent by other MLflow-compatible servers) are read as the nearest keel code.`,
    `## Codes

| code | HTTP status | meaning | what to do |
|---|---|---|---|
${rows.join('\n')}`,
  ].join('\n\n')}\n`
}
