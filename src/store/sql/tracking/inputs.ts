import { notFound } from '../../../core/errors.js'
import { newRunId } from '../../../core/ids.js'
import type { DatasetInput, ModelOutput } from '../../../tracking/index.js'
import type { SqlExecutor } from '../sql-driver.js'
import { requireWritableRun } from './runs.js'
import { insertRows, selectIn } from './sql-util.js'
import type { StoreContext } from './store-context.js'

/** Datasets are shared within an experiment: the same (name, digest) logged by many runs is stored once. */
async function datasetId(tx: SqlExecutor, experimentId: number, input: DatasetInput): Promise<string> {
  const { dataset } = input
  await tx.run(
    `INSERT INTO datasets (dataset_id, experiment_id, name, digest, source_type, source, dataset_schema, dataset_profile)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
    [newRunId(), experimentId, dataset.name, dataset.digest, dataset.sourceType, dataset.source, dataset.schema ?? null, dataset.profile ?? null],
  )
  const row = await tx.get<{ dataset_id: string }>(
    'SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
    [experimentId, dataset.name, dataset.digest],
  )
  return row!.dataset_id
}

async function requireLoggedModels(tx: SqlExecutor, modelIds: readonly string[]): Promise<void> {
  const unique = [...new Set(modelIds)]
  const found = await selectIn<{ model_id: string }>(
    tx,
    unique,
    (list) => `SELECT model_id FROM logged_models WHERE model_id IN (${list}) AND lifecycle_stage = 'active'`,
  )
  if (found.length !== unique.length) {
    const known = new Set(found.map((row) => row.model_id))
    const missing = unique.filter((id) => !known.has(id))
    throw notFound(`Logged model with id=${missing.join(', ')} not found; create it with logged-models first.`, { model_ids: missing })
  }
}

export async function logInputs(ctx: StoreContext, runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[] = []): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const run = await requireWritableRun(tx, runId)
    for (const input of datasets) {
      const id = await datasetId(tx, run.experiment_id, input)
      await tx.run('INSERT INTO run_inputs (run_id, dataset_id) VALUES (?, ?) ON CONFLICT (run_id, dataset_id) DO NOTHING', [runId, id])
      const tags = input.tags ?? []
      if (tags.length > 0) {
        await insertRows(
          tx,
          [...new Map(tags.map((tag) => [tag.key, tag.value]))],
          4,
          (values) =>
            `INSERT INTO run_input_tags (run_id, dataset_id, key, value) VALUES ${values}
             ON CONFLICT (run_id, dataset_id, key) DO UPDATE SET value = excluded.value`,
          ([key, value], out) => {
            out.push(runId, id, key, value)
          },
        )
      }
    }
    if (modelIds.length > 0) {
      await requireLoggedModels(tx, modelIds)
      await insertRows(
        tx,
        [...new Set(modelIds)],
        2,
        (values) => `INSERT INTO run_model_inputs (run_id, model_id) VALUES ${values} ON CONFLICT (run_id, model_id) DO NOTHING`,
        (modelId, out) => {
          out.push(runId, modelId)
        },
      )
    }
  })
}

export async function logOutputs(ctx: StoreContext, runId: string, models: readonly ModelOutput[]): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireWritableRun(tx, runId)
    if (models.length === 0) return
    await requireLoggedModels(tx, models.map((m) => m.modelId))
    const unique = [...new Map(models.map((m) => [`${m.modelId}\u0000${m.step}`, m])).values()]
    await insertRows(
      tx,
      unique,
      3,
      (values) => `INSERT INTO run_model_outputs (run_id, model_id, step) VALUES ${values} ON CONFLICT (run_id, model_id, step) DO NOTHING`,
      (m, out) => {
        out.push(runId, m.modelId, m.step)
      },
    )
  })
}
