import { Command, Option } from 'commander'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { Keel } from '../../client/keel.js'
import { MODEL_FORMATS, modelFormat } from '../../models/formats/index.js'
import type { ImportedModelManifest } from '../../models/formats/index.js'
import { collect, examples, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { Output } from '../output.js'

interface ImportOptions extends StoreOptions {
  name: string
  format: string
  classes?: string[]
  columns?: string[]
  description?: string
}

export const IMPORTS_EXPERIMENT = 'imports'
const MANIFEST_FILE = 'keel-model.json'
const MODEL_DIR = 'model'

/**
 * `keel models import`: checks the file first (a bad file fails before anything is stored), then logs it with a
 * manifest as the `model/` artifacts of a new run in experiment 'imports', and registers a version whose
 * lineage carries the artifact digest and the signature read from the model.
 */
export function modelsImportCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('import')
      .description('register a model trained elsewhere (XGBoost JSON, ONNX) as a new version, with its signature')
      .argument('<file>', 'the model file: XGBoost save_model JSON (.json) or ONNX (.onnx)')
      .requiredOption('--name <name>', 'registered model to add the version to (created when missing)')
      .addOption(new Option('--format <format>', 'the file format').choices(Object.keys(MODEL_FORMATS)).makeOptionMandatory())
      .option('--classes <label>', "class labels in the model's class order, one per flag (default 0, 1, ...)", collect)
      .option('--columns <names>', 'ONNX: names of the columns of its one [batch, n] input, comma-separated, in order (default <input>_0 … <input>_{n-1})', collect)
      .option('--description <text>', 'description of the new version'),
  ).action(async (file: string, options: ImportOptions) => {
    const format = modelFormat(options.format)
    const columns = options.columns?.flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '')
    const info = await format.inspect(file, {
      ...(options.classes === undefined ? {} : { classes: options.classes }),
      ...(columns === undefined ? {} : { columns }),
    })
    const bytes = await readFile(file)
    const manifest: ImportedModelManifest = { format: 'keel-imported-model', formatVersion: 1, file: format.fileName, ...info }

    const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
    try {
      const run = await keel.startRun({
        experiment: IMPORTS_EXPERIMENT,
        runName: `import-${options.name}`,
        tags: { 'keel.import.format': format.name, 'keel.import.file': basename(file) },
      })
      try {
        await run.logParams({
          format: format.name,
          ...(info.objective === undefined ? {} : { objective: info.objective }),
          features: info.features.length,
          file_sha256: createHash('sha256').update(bytes).digest('hex'),
        })
        await run.logArtifact({ name: format.fileName, content: bytes }, MODEL_DIR)
        await run.logArtifact({ name: MANIFEST_FILE, content: `${JSON.stringify(manifest, null, 2)}\n` }, MODEL_DIR)
        await run.end()
      } catch (error) {
        await run.end('FAILED').catch(() => undefined)
        throw error
      }
      const version = await keel.registerModel({
        name: options.name,
        runId: run.id,
        artifactPath: MODEL_DIR,
        lineage: { signature: info.signature },
        tags: { 'keel.model.format': format.name },
        ...(options.description === undefined ? {} : { description: options.description }),
      })
      const out = new Output(ctx.io, options.json === true)
      if (out.json) {
        out.printJson({ name: version.name, version: version.version, runId: run.id, source: version.source, manifest, lineage: version.lineage })
        return
      }
      out.line(`model     ${version.name} version ${version.version}`)
      out.line(`format    ${format.name}${info.objective === undefined ? '' : ` (${info.objective})`}`)
      out.line(`features  ${info.features.length}: ${preview(info.features)}`)
      if (info.classes !== undefined) out.line(`classes   ${info.classes.join(', ')}`)
      out.line(`run       ${run.id} (experiment '${IMPORTS_EXPERIMENT}')`)
      out.line(`digest    ${version.lineage.artifactDigest ?? '-'}`)
      out.note(`see: keel models version ${version.name} ${version.version}`)
    } finally {
      await keel.close()
    }
  })
  return examples(command, [
    'keel models import --name fraud-xgb --format xgboost model.json',
    'keel models import --name churn --format xgboost churn.json --classes stay --classes churn --store postgres://keel@db:5432/keel',
    'keel models import --name mlp --format onnx model.onnx --columns f0,f1,f2,f3,f4,f5,f6,f7 --json',
  ])
}

function preview(names: readonly string[]): string {
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, … (${names.length - 8} more)`
}
