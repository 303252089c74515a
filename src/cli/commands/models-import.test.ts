import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { Keel } from '../../client/keel.js'
import { artifactPathFromUri } from '../../artifacts/artifact-path.js'
import { XgboostPredictor } from '../../models/formats/xgboost.js'
import type { ImportedModelManifest } from '../../models/formats/index.js'
import { tempDir } from '../../../test/support/temp-dir.js'
import { runCli } from '../../../test/support/run-cli.js'
import type { CliResult } from '../../../test/support/run-cli.js'

const FIXTURES = new URL('../../../test/fixtures/xgboost/', import.meta.url).pathname

let dir: { path: string; remove: () => void }
beforeEach(() => {
  dir = tempDir('keel-import-')
})
afterEach(() => dir.remove())

const cli = (args: string[]): Promise<CliResult> =>
  runCli(args, { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}`, KEEL_USER: 'importer' })

async function streamText(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

describe('keel models import --format xgboost', () => {
  it('stores the file and a manifest in a run of experiment imports and registers a version with lineage', async () => {
    const file = join(FIXTURES, 'multiclass.model.json')
    const result = await cli(['models', 'import', '--name', 'xgb-multi', '--format', 'xgboost', file, '--json'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const printed = JSON.parse(result.stdout) as { name: string; version: string; runId: string; source: string; manifest: ImportedModelManifest }
    expect(printed).toMatchObject({ name: 'xgb-multi', version: '1' })
    expect(printed.manifest).toMatchObject({ modelFormat: 'xgboost', objective: 'multi:softprob', task: 'classification', classes: ['0', '1', '2'] })

    const keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`)
    try {
      const version = await keel.registry.getModelVersion('xgb-multi', '1')
      expect(version.runId).toBe(printed.runId)
      expect(version.lineage.artifactDigest).toMatch(/^[0-9a-f]{64}$/)
      expect(version.lineage.signature?.inputs.map((c) => c.name)).toEqual(['age', 'amount', 'balance', 'score', 'tenure', 'velocity'])
      expect(version.lineage.signature?.outputs.map((c) => c.name)).toEqual(['probability_0', 'probability_1', 'probability_2'])
      const run = await keel.tracking.getRun(printed.runId)
      const experiment = await keel.tracking.getExperiment(run.info.experimentId)
      expect(experiment.name).toBe('imports')
      expect(run.info.status).toBe('FINISHED')

      // The stored file is the original byte for byte, and it loads to the same predictions.
      const base = artifactPathFromUri(version.source)
      const stored = await streamText((await keel.artifacts.get(`${base}/model.json`)).body)
      const original = readFileSync(file)
      expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'))
      const manifest = JSON.parse((await streamText((await keel.artifacts.get(`${base}/keel-model.json`)).body)).toString('utf8')) as ImportedModelManifest
      expect(manifest).toMatchObject({ format: 'keel-imported-model', file: 'model.json', features: printed.manifest.features })
      const frame = new Frame(manifest.features.map((f, j) => numericColumn(f, [j * 0.5 - 1])))
      expect(Array.from(XgboostPredictor.fromJson(stored.toString('utf8')).predictProba(frame))).toEqual(
        Array.from(XgboostPredictor.fromJson(original.toString('utf8')).predictProba(frame)),
      )
    } finally {
      await keel.close()
    }

    const text = await cli(['models', 'import', '--name', 'xgb-multi', '--format', 'xgboost', file, '--classes', 'a', '--classes', 'b', '--classes', 'c'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/xgb-multi version 2/)
    expect(text.stdout).toMatch(/classes\s+a, b, c/)
  })

  it('refuses a truncated file and an unsupported objective before storing anything', async () => {
    const text = readFileSync(join(FIXTURES, 'binary.model.json'), 'utf8')
    const truncated = join(dir.path, 'truncated.json')
    writeFileSync(truncated, text.slice(0, 5000))
    const bad = await cli(['models', 'import', '--name', 'broken', '--format', 'xgboost', truncated])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/not valid JSON.*truncated or corrupt/)

    const ranking = join(dir.path, 'rank.json')
    writeFileSync(ranking, text.replace('"binary:logistic"', '"rank:pairwise"'))
    const unsupported = await cli(['models', 'import', '--name', 'broken', '--format', 'xgboost', ranking])
    expect(unsupported.code).toBe(1)
    expect(unsupported.stderr).toMatch(/'rank:pairwise' is not supported/)

    const keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`)
    try {
      expect((await keel.registry.searchRegisteredModels({})).items).toHaveLength(0)
      expect(await keel.tracking.getExperimentByName('imports')).toBeUndefined()
    } finally {
      await keel.close()
    }
  })

  it('--format onnx registers the signature read from the graph', async () => {
    const onnx = new URL('../../../test/fixtures/onnx/mlp.onnx', import.meta.url).pathname
    const result = await cli(['models', 'import', '--name', 'mlp', '--format', 'onnx', onnx, '--json'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const printed = JSON.parse(result.stdout) as { manifest: ImportedModelManifest; lineage: { signature: { inputs: Array<{ name: string }> } } }
    expect(printed.manifest).toMatchObject({ modelFormat: 'onnx', file: 'model.onnx' })
    // One [batch, 8] float input: its columns become the signature, named after the input by default.
    expect(printed.lineage.signature.inputs.map((c) => c.name)).toEqual(Array.from({ length: 8 }, (_, i) => `features_${i}`))
    expect(printed.lineage.signature.inputs[0]).toMatchObject({ type: 'float' })
  })

  it('--columns names the columns of an ONNX model\'s input, and a wrong count is refused before anything is stored', async () => {
    const onnx = new URL('../../../test/fixtures/onnx/mlp.onnx', import.meta.url).pathname
    const named = await cli(['models', 'import', '--name', 'mlp', '--format', 'onnx', onnx, '--columns', 'a,b,c,d', '--columns', 'e,f,g,h', '--json'])
    expect(named.code).toBe(0)
    expect((JSON.parse(named.stdout) as { manifest: ImportedModelManifest }).manifest.features).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])
    const wrong = await cli(['models', 'import', '--name', 'mlp2', '--format', 'onnx', onnx, '--columns', 'a,b,c'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/3 names but the model's input 'features' has 8 columns/)
    const listed = await cli(['models', 'list', '--json'])
    expect(listed.stdout).not.toContain('mlp2')
  })

  it('rejects an unknown --format as a usage error', async () => {
    const result = await cli(['models', 'import', '--name', 'x', '--format', 'pickle', join(FIXTURES, 'binary.model.json')])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/xgboost, onnx/)
  })
})
