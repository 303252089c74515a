import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { isKeelError } from '../core/errors.js'
import { experimentsCommand } from './commands/experiments.js'
import { gcCommand } from './commands/gc.js'
import { modelsCommand } from './commands/models.js'
import { monitorCommand } from './commands/monitor.js'
import { predictCommand } from './commands/predict.js'
import { runsCommand } from './commands/runs.js'
import { serveCommand } from './commands/serve.js'
import { serverCommand } from './commands/server.js'
import { trainCommand } from './commands/train.js'
import { pipelineCommand } from './commands/pipeline.js'
import { workerCommand } from './commands/worker.js'
import type { CommandContext } from './options.js'
import type { CliIo } from './output.js'

/** Exit codes: 0 success, 1 the command failed, 2 it was called wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A mistake in how a command was called, found after parsing (e.g. a mutually exclusive pair). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** keel's version from the package.json two levels up (the same from `src/cli/` and `dist/cli/`). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * The `keel` command line. `argv` is `process.argv` (node, script, args...); `io` is injected by tests.
 * Returns the exit code instead of exiting, so it runs in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CommandContext = { io, exitCode: EXIT.ok }
  const program = buildProgram(ctx)
  try {
    await program.parseAsync([...argv], { from: 'node' })
    return ctx.exitCode
  } catch (error) {
    return report(error, io)
  }
}

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('keel')
    .description('keel: track experiments, register models and serve them; MLflow-compatible.')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .exitOverride()
  program.addHelpText(
    'after',
    `
Every command takes --store <uri> (env KEEL_STORE; default sqlite:.keel/keel.db):
  sqlite:.keel/keel.db, sqlite:///abs/path.db, postgres://user@host:5432/db, http://host:5000 (a keel server)

Examples:
  $ keel server --port 5000
  $ keel runs search --filter 'metrics.auc > 0.9' --order-by 'metrics.auc DESC'
  $ keel models alias set fraud champion 3 --store http://localhost:5000
`,
  )
  for (const command of [serverCommand(ctx), experimentsCommand(ctx), runsCommand(ctx), modelsCommand(ctx), trainCommand(ctx), predictCommand(ctx), serveCommand(ctx), monitorCommand(ctx), pipelineCommand(ctx), workerCommand(ctx), gcCommand(ctx)]) {
    program.addCommand(command)
  }
  // Subcommands inherit the output and error handling, so their usage errors also come back as codes.
  for (const command of allCommands(program)) {
    command
      .configureOutput({
        writeOut: (text) => ctx.io.stdout.write(text),
        writeErr: (text) => ctx.io.stderr.write(text),
      })
      .exitOverride()
      .showHelpAfterError(`(run '${commandPath(command)} --help' for usage)`)
  }
  return program
}

function allCommands(root: Command): Command[] {
  const out: Command[] = []
  const queue = [...root.commands]
  for (let i = 0; i < queue.length; i++) {
    const command = queue[i]
    if (command === undefined) continue
    out.push(command)
    queue.push(...command.commands)
  }
  return out
}

function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** Prints a failure the way a person can act on it; never a stack trace for a KeelError. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help / version).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    if (error.code === 'commander.invalidArgument' && !error.message.startsWith('error:')) {
      io.stderr.write(`error: ${error.message}\n`)
    }
    return EXIT.usage
  }
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}\n`)
    return EXIT.usage
  }
  if (isKeelError(error)) {
    io.stderr.write(`error: ${error.message} (${error.code})\n`)
    return EXIT.failed
  }
  const message = error instanceof Error ? error.message : String(error)
  io.stderr.write(`error: ${message}\n`)
  if (io.env['KEEL_DEBUG'] !== undefined && error instanceof Error && error.stack !== undefined) {
    io.stderr.write(`${error.stack}\n`)
  } else {
    io.stderr.write('(set KEEL_DEBUG=1 to see the stack trace)\n')
  }
  return EXIT.failed
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env }
}
