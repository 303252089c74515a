/** One step of the curl walkthrough; test/docs.test.ts runs every step, in order, in one shell, against a real server. */
export interface CurlStep {
  title: string
  /** Markdown shown before the commands. */
  text: string
  /** Shell commands with exactly one `curl` call. */
  script: string
  /** What the server answers. JSON answers are checked field by field (and type) against the real answer. */
  answer: string
  /** `headers` when the answer is the response head (`curl -D -`). */
  answerKind?: 'headers'
}

/** Not run by the test, which sets KEEL itself. */
export const CURL_SETUP = 'KEEL=http://127.0.0.1:5000   # where `keel server` listens'

export const CURL_STEPS: readonly CurlStep[] = [
  {
    title: 'Create an experiment',
    text: 'A second experiment with the same name is 400 `RESOURCE_ALREADY_EXISTS`; `experiments/get-by-name` finds an existing one.',
    script: `EXP=$(curl -sS -X POST "$KEEL/api/2.0/mlflow/experiments/create" \\
  -H 'Content-Type: application/json' -d '{"name": "fraud-detection"}' | jq -r .experiment_id)`,
    answer: `{"experiment_id": "1"}`,
  },
  {
    title: 'Start a run',
    text: "`-u alice:` sends a Basic `Authorization` header: keel records `alice` as the run's user (see [Who is calling](#who-is-calling)). `start_time` defaults to now.",
    script: `RUN=$(curl -sS -X POST "$KEEL/api/2.0/mlflow/runs/create" -u alice: -H 'Content-Type: application/json' \\
  -d '{"experiment_id": "'"$EXP"'", "run_name": "gbm-depth-6", "tags": [{"key": "team", "value": "risk"}]}' \\
  | jq -r .run.info.run_id)`,
    answer: `{
  "run": {
    "info": {
      "run_id": "39cb3b16db28467f80d6c980c19d3be8",
      "run_uuid": "39cb3b16db28467f80d6c980c19d3be8",
      "run_name": "gbm-depth-6",
      "experiment_id": "1",
      "user_id": "alice",
      "status": "RUNNING",
      "start_time": 1767225600000,
      "artifact_uri": "mlflow-artifacts:/1/39cb3b16db28467f80d6c980c19d3be8/artifacts",
      "lifecycle_stage": "active"
    },
    "data": {
      "metrics": [],
      "params": [],
      "tags": [
        {"key": "mlflow.runName", "value": "gbm-depth-6"},
        {"key": "mlflow.user", "value": "alice"},
        {"key": "team", "value": "risk"}
      ]
    },
    "inputs": {"dataset_inputs": [], "model_inputs": []},
    "outputs": {"model_outputs": []}
  }
}`,
  },
  {
    title: 'Log metrics, params and tags in one batch',
    text: `One call, one transaction. Timestamps are milliseconds; an int64 may also be a string of digits, and a metric
value may be \`"NaN"\`, \`"Infinity"\` or \`"-Infinity"\`.`,
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/runs/log-batch" -H 'Content-Type: application/json' --data-binary @- <<EOF
{
  "run_id": "$RUN",
  "params": [{"key": "depth", "value": "6"}, {"key": "learning_rate", "value": "0.1"}],
  "metrics": [
    {"key": "loss", "value": 0.61, "timestamp": 1767225600000, "step": 0},
    {"key": "loss", "value": 0.42, "timestamp": 1767225601000, "step": 1},
    {"key": "loss", "value": "NaN", "timestamp": 1767225602000, "step": 2},
    {"key": "loss", "value": 0.35, "timestamp": "1767225603000", "step": 3},
    {"key": "auc", "value": 0.93, "timestamp": 1767225603000, "step": 3}
  ],
  "tags": [{"key": "mlflow.source.name", "value": "train.ts"}]
}
EOF`,
    answer: '{}',
  },
  {
    title: 'Upload an artifact',
    text: `Files go through the artifact proxy, below the run's \`artifact_uri\`: \`mlflow-artifacts:/<experiment>/<run>/artifacts\`
is the path after \`/api/2.0/mlflow-artifacts/artifacts/\`. The body is the file's bytes, streamed.`,
    script: `echo '{"trees": 120, "depth": 6}' | curl -sS -X PUT --data-binary @- \\
  "$KEEL/api/2.0/mlflow-artifacts/artifacts/$EXP/$RUN/artifacts/model/model.json"`,
    answer: '{}',
  },
  {
    title: "List a run's artifacts",
    text: "`path` is relative to the run's artifact root. keel adds each file's sha256 as `digest`.",
    script: `curl -sS "$KEEL/api/2.0/mlflow/artifacts/list?run_id=$RUN&path=model"`,
    answer: `{
  "root_uri": "mlflow-artifacts:/1/39cb3b16db28467f80d6c980c19d3be8/artifacts",
  "files": [
    {
      "path": "model/model.json",
      "is_dir": false,
      "file_size": 27,
      "digest": "be8fb089ab6aa263fd9c3c51bca948c977b15ac2651d98cbe13dda6390007e61"
    }
  ]
}`,
  },
  {
    title: 'Download it',
    text: '`x-keel-digest` carries the same sha256, so the download can be checked (`sha256sum model.json`).',
    script: `curl -sS -D - -o model.json "$KEEL/api/2.0/mlflow-artifacts/artifacts/$EXP/$RUN/artifacts/model/model.json"`,
    answer: `HTTP/1.1 200 OK
content-length: 27
x-keel-digest: be8fb089ab6aa263fd9c3c51bca948c977b15ac2651d98cbe13dda6390007e61
content-disposition: attachment; filename="model.json"
x-content-type-options: nosniff
content-type: application/json`,
    answerKind: 'headers',
  },
  {
    title: 'Search runs with a filter',
    text: `MLflow's filter grammar: conditions on \`metrics.\`, \`params.\`, \`tags.\`, \`attributes.\` and \`datasets.\`
joined with \`AND\`, strings in single quotes. The answer is shortened here: each run comes whole, as from \`runs/get\`.`,
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/runs/search" -H 'Content-Type: application/json' --data-binary @- <<EOF
{
  "experiment_ids": ["$EXP"],
  "filter": "metrics.auc > 0.9 AND params.depth = '6'",
  "order_by": ["metrics.auc DESC"],
  "max_results": 10
}
EOF`,
    answer: `{
  "runs": [
    {
      "info": {"run_id": "39cb3b16db28467f80d6c980c19d3be8", "run_name": "gbm-depth-6", "status": "RUNNING"},
      "data": {
        "metrics": [
          {"key": "auc", "value": 0.93, "timestamp": 1767225603000, "step": 3},
          {"key": "loss", "value": 0.35, "timestamp": 1767225603000, "step": 3}
        ],
        "params": [{"key": "depth", "value": "6"}, {"key": "learning_rate", "value": "0.1"}]
      }
    }
  ]
}`,
  },
  {
    title: 'Create a registered model',
    text: 'Once per model name; a second create is 400 `RESOURCE_ALREADY_EXISTS`, which MLflow clients expect and ignore.',
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/registered-models/create" \\
  -H 'Content-Type: application/json' -d '{"name": "fraud"}'`,
    answer: `{
  "registered_model": {
    "name": "fraud",
    "creation_timestamp": 1767225700000,
    "last_updated_timestamp": 1767225700000,
    "tags": [],
    "aliases": []
  }
}`,
  },
  {
    title: 'Register a version, with its lineage',
    text: "Versions are numbered 1, 2, ... per model. `lineage` is keel's: where the version came from (every field optional).",
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/model-versions/create" -u alice: \\
  -H 'Content-Type: application/json' --data-binary @- <<EOF
{
  "name": "fraud",
  "source": "runs:/$RUN/model",
  "run_id": "$RUN",
  "lineage": {"dataset_digest": "sha256:4f2a9c", "code_version": "3e1b9c0"}
}
EOF`,
    answer: `{
  "model_version": {
    "name": "fraud",
    "version": "1",
    "creation_timestamp": 1767225700100,
    "last_updated_timestamp": 1767225700100,
    "current_stage": "None",
    "source": "runs:/39cb3b16db28467f80d6c980c19d3be8/model",
    "status": "READY",
    "tags": [],
    "aliases": [],
    "lineage": {"dataset_digest": "sha256:4f2a9c", "code_version": "3e1b9c0"},
    "user_id": "alice",
    "run_id": "39cb3b16db28467f80d6c980c19d3be8"
  }
}`,
  },
  {
    title: 'Point an alias at it',
    text: 'The move is recorded with who made it: the Basic-auth user, else `moved_by` from the body.',
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/registered-models/alias" -u bob: \\
  -H 'Content-Type: application/json' -d '{"name": "fraud", "alias": "champion", "version": "1"}'`,
    answer: '{}',
  },
  {
    title: 'Resolve the alias',
    text: 'What `models:/fraud@champion` means right now (shortened).',
    script: `curl -sS "$KEEL/api/2.0/mlflow/registered-models/alias?name=fraud&alias=champion"`,
    answer: `{
  "model_version": {
    "name": "fraud",
    "version": "1",
    "source": "runs:/39cb3b16db28467f80d6c980c19d3be8/model",
    "aliases": ["champion"],
    "lineage": {"dataset_digest": "sha256:4f2a9c", "code_version": "3e1b9c0"}
  }
}`,
  },
  {
    title: 'Read the alias history',
    text: 'Every move, oldest first: `from_version` is null when the alias was new, `to_version` null when it was deleted. Leave out `alias` for all aliases of the model.',
    script: `curl -sS "$KEEL/api/keel/v1/registered-models/alias-history?name=fraud&alias=champion"`,
    answer: `{
  "moves": [
    {
      "id": 1,
      "name": "fraud",
      "alias": "champion",
      "from_version": null,
      "to_version": "1",
      "moved_at": 1767225700200,
      "moved_by": "bob"
    }
  ]
}`,
  },
  {
    title: 'Get a sampled metric history',
    text: `For charts: each run's history reduced to about \`max_points\` points, keeping the minimum and maximum of every
bucket so spikes survive. Repeat \`run_ids\` to compare runs; \`metrics/get-history\` returns every point instead.`,
    script: `curl -sS "$KEEL/api/keel/v1/metrics/sampled?run_ids=$RUN&metric_key=loss&max_points=100"`,
    answer: `{
  "series": [
    {
      "run_id": "39cb3b16db28467f80d6c980c19d3be8",
      "key": "loss",
      "total_points": 4,
      "steps": [0, 1, 2, 3],
      "values": [0.61, 0.42, "NaN", 0.35],
      "timestamps": [1767225600000, 1767225601000, 1767225602000, 1767225603000]
    }
  ]
}`,
  },
]

/** The walkthrough's webhook steps, run after CURL_STEPS by the same test. */
export const WEBHOOK_CURL_STEPS: readonly CurlStep[] = [
  {
    title: 'Subscribe a URL',
    text: 'Events may be given as `"model_version_alias.created"` or, as MLflow clients send them, `{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}`. The secret is never returned; `has_secret` says there is one.',
    script: `HOOK=$(curl -sS -X POST "$KEEL/api/2.0/mlflow/webhooks" -H 'Content-Type: application/json' -d '{
  "name": "deploy-on-champion",
  "url": "http://127.0.0.1:8080/keel-hook",
  "events": ["model_version_alias.created", "model_version_alias.deleted"],
  "secret": "change-me"
}' | jq -r .webhook.webhook_id)`,
    answer: `{
  "webhook": {
    "webhook_id": "9e12b216926c4a00995e1f5fef8ce4af",
    "name": "deploy-on-champion",
    "url": "http://127.0.0.1:8080/keel-hook",
    "events": [
      {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
      {"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"}
    ],
    "status": "ACTIVE",
    "creation_timestamp": 1767225800000,
    "last_updated_timestamp": 1767225800000,
    "has_secret": true
  }
}`,
  },
  {
    title: 'Send a test delivery',
    text: "An example payload of `event` (default: the webhook's first event), signed like a real delivery, sent once and now; the answer reports the receiver's.",
    script: `curl -sS -X POST "$KEEL/api/2.0/mlflow/webhooks/$HOOK/test" \\
  -H 'Content-Type: application/json' -d '{"event": "model_version_alias.created"}'`,
    answer: `{"result": {"success": true, "response_status": 204}}`,
  },
  {
    title: 'Make a change',
    text: 'Deleting the alias is recorded in its history and queued for the webhook in the same transaction.',
    script: `curl -sS -X DELETE "$KEEL/api/2.0/mlflow/registered-models/alias" -u bob: \\
  -H 'Content-Type: application/json' -d '{"name": "fraud", "alias": "champion"}'`,
    answer: '{}',
  },
  {
    title: 'Inspect the deliveries',
    text: "A moment later, newest first. `status` is `PENDING` until an attempt succeeds (`DELIVERED`) or the last one fails (`FAILED`); `last_error` has the receiver's status and the start of its answer.",
    script: `curl -sS "$KEEL/api/keel/v1/webhooks/$HOOK/deliveries?max_results=10"`,
    answer: `{
  "deliveries": [
    {
      "delivery_id": 1,
      "webhook_id": "9e12b216926c4a00995e1f5fef8ce4af",
      "url": "http://127.0.0.1:8080/keel-hook",
      "event": {
        "id": 9,
        "type": "model_version_alias.deleted",
        "created_at": 1767225800100,
        "payload": {"name": "fraud", "alias": "champion", "from_version": "1"}
      },
      "attempts": 1,
      "status": "DELIVERED",
      "next_attempt_at": 1767225800900
    }
  ]
}`,
  },
]

/** Each step as a heading at `level`, its text, its commands and the answer. */
export function renderCurlSteps(steps: readonly CurlStep[], level: string): string {
  return steps
    .map((step) => {
      const answer = step.answerKind === 'headers' ? `\`\`\`text\n${step.answer}\n\`\`\`` : `\`\`\`json\n${step.answer}\n\`\`\``
      return `${level} ${step.title}\n\n${step.text}\n\n\`\`\`sh\n${step.script}\n\`\`\`\n\n${answer}`
    })
    .join('\n\n')
}

const EXAMPLES_INTRO = `## Examples with curl

A typical session, in bash with \`curl\` and \`jq\`, against a server started with \`keel server\` (which listens on
\`127.0.0.1:5000\`). Below each step is what the server answers (where a step keeps an id in a shell variable,
the answer is what \`jq\` reads it from); your ids and times will differ. test/docs.test.ts runs these very
commands against a real server, so they stay true.

\`\`\`sh
${CURL_SETUP}
\`\`\``

/** The "Examples with curl" section of docs/http-api.md. */
export function curlExamples(): string {
  return `${EXAMPLES_INTRO}\n\n${renderCurlSteps(CURL_STEPS, '###')}`
}
