import { Command } from 'commander'
import { availableParallelism } from 'node:os'
import { Keel } from '../../client/keel.js'
import { DEFAULT_BATCH_ROWS, loadScoringModel, scoreFile } from '../../scoring/index.js'
import { scoringProgress } from '../../scoring/scoring-progress.js'
import { collect, examples, positiveInt, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { Output } from '../output.js'

interface PredictOptions extends StoreOptions {
  model: string
  input: string
  output: string
  keep?: string[]
  batchRows?: number
  threads?: number
  progress?: boolean
}

/** Below this many rows, starting worker threads costs more than it saves (see bench/RESULTS.md, predict). */
const AUTO_THREADS_ROWS = 100_000

/**
 * `keel predict`: scores a file with a registered model (keel-trained, or imported XGBoost / ONNX) into a CSV,
 * streaming: the input is read, scored and written batch by batch, so memory holds about one batch whatever
 * the file's size. The CSV appears at --output only once complete (written as `<output>.partial`, renamed).
 * A bad input (missing column, non-numeric value, empty file, unknown extension) exits with code 2.
 * XGBoost models score on worker threads, one per core by default when the input has 100,000 rows or more
 * (measured: 2 threads cut scoring + writing 200,000 rows by 10-30 %; for small inputs starting the workers
 * costs more than it saves); other models score on the main thread.
 */
export function predictCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('predict')
      .description('score a CSV, Parquet or JSON Lines file with a registered model and write the predictions as CSV')
      .requiredOption('--model <uri>', 'the model: models:/<name>@<alias>, models:/<name>/<version>, runs:/<run id>/model')
      .requiredOption('--input <file>', 'rows to score: .csv, .tsv, .parquet, .jsonl or .ndjson')
      .requiredOption('--output <file>', 'CSV to write: --keep columns, prediction, probability_<class> per class')
      .option('--keep <column>', 'input column to copy into the output (e.g. an id), one per flag', collect)
      .option('--batch-rows <n>', `rows read, scored and written per batch (default ${DEFAULT_BATCH_ROWS}); memory grows with it`, positiveInt)
      .option('--threads <n>', 'worker threads that score XGBoost models (default: one per core from 100,000 rows, else 1)', positiveInt)
      .option('--progress', 'print progress (rows, rows/s) on stderr even when it is not a terminal')
      .addHelpText(
        'after',
        '\nThe input is streamed: read, scored and written --batch-rows rows at a time, in input order, so memory\n' +
          'holds about one batch whatever the file size (Parquet: by row group). The CSV is written as\n' +
          '<output>.partial and renamed to <output> only when complete. A progress line (rows, rows/s) is drawn\n' +
          'on stderr when it is a terminal. Bad input (a missing column, a non-numeric value, an empty file, an\n' +
          'unknown extension) exits with code 2 and a message naming the column, row or file.\n',
      ),
  ).action(async (options: PredictOptions) => {
    const out = new Output(ctx.io, options.json === true)
    const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
    const progress = scoringProgress(ctx.io.stderr as { isTTY?: boolean; write(text: string): unknown }, { force: options.progress === true })
    try {
      const model = await loadScoringModel(keel, options.model)
      try {
        let threads = 1
        let result
        try {
          result = await scoreFile(model, {
            input: options.input,
            output: options.output,
            ...(options.keep === undefined ? {} : { keep: options.keep }),
            ...(options.batchRows === undefined ? {} : { batchRows: options.batchRows }),
            beforeScoring: async (rows) => {
              const wanted = options.threads ?? (rows >= AUTO_THREADS_ROWS ? availableParallelism() : 1)
              threads = await model.useThreads(wanted)
            },
            onProgress: progress,
          })
        } catch (error) {
          // Close the progress line before main() prints the error (exit 1, as for every command's KeelError).
          progress.done()
          throw error
        }
        progress.done()
        const seconds = (result.readMs + result.scoreMs) / 1000
        const summary = {
          model: options.model,
          kind: model.kind,
          rows: result.rows,
          output: options.output,
          columns: result.columns,
          threads,
          readSeconds: result.readMs / 1000,
          scoreSeconds: result.scoreMs / 1000,
        }
        if (out.json) {
          out.printJson(summary)
          return
        }
        out.line(`scored    ${result.rows.toLocaleString('en-US')} rows with ${options.model} (${model.kind}, ${threads} thread${threads === 1 ? '' : 's'})`)
        out.line(`output    ${options.output}: ${result.columns.join(', ')}`)
        out.line(`time      ${seconds.toFixed(2)} s (read ${(result.readMs / 1000).toFixed(2)} s, score + write ${(result.scoreMs / 1000).toFixed(2)} s)`)
      } finally {
        await model.close()
      }
    } finally {
      await keel.close()
    }
  })
  return examples(command, [
    'keel predict --model models:/fraud@champion --input holdout.csv --output scores.csv --keep id',
    'keel predict --model models:/fraud-xgb/3 --input events.parquet --output scores.csv --threads 2',
    'keel predict --model models:/churn@prod --input users.jsonl --output churn.csv --store postgres://keel@db:5432/keel --json',
  ])
}
