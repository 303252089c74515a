import type { Command } from 'commander'
import { EXIT, buildProgram } from '../../src/cli/main.js'
import { DEFAULT_STORE_URI } from '../../src/store/open-stores.js'
import { generatedNote } from './markdown.js'

/**
 * Help is rendered at a fixed width without colours: commander otherwise follows the terminal it runs in,
 * and the docs must come out the same from a wide terminal, a pipe and CI. 80 is also what `--help`
 * prints when its output is not a terminal.
 */
export const HELP_WIDTH = 80

export interface CommandHelp {
  /** `['keel', 'models', 'alias', 'set']` */
  path: string[]
  description: string
  /** Exactly what `<path> --help` prints (non-TTY). */
  help: string
}

/** Every command of `keel`, root first, then depth-first in the order `--help` lists them. */
export function collectCommandHelp(): CommandHelp[] {
  let captured = ''
  const program = buildProgram({
    io: { stdout: { write: (chunk: string) => (captured += chunk) }, stderr: { write: () => true }, env: {} },
    exitCode: EXIT.ok,
  })
  const out: CommandHelp[] = []
  const visit = (command: Command, parents: readonly string[]): void => {
    const path = [...parents, command.name()]
    command.configureOutput({ getOutHelpWidth: () => HELP_WIDTH, getOutHasColors: () => false })
    captured = ''
    // outputHelp (not helpInformation) so the addHelpText('after') examples are included, as with --help.
    command.outputHelp()
    out.push({ path, description: command.description(), help: captured })
    for (const sub of command.commands) visit(sub, path)
  }
  visit(program, [])
  return out
}

/** GitHub's heading anchor for `### keel models alias set`. */
export function anchorOf(path: readonly string[]): string {
  return path.join('-').toLowerCase()
}

const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = {
  ok: 'success; `--help` and `--version` too',
  failed:
    'the command ran and failed: `error: <message> (<ERROR_CODE>)` on stderr, see [errors.md](errors.md). An unexpected failure prints `(set KEEL_DEBUG=1 to see the stack trace)`',
  usage: 'it was called wrongly: an unknown command or option, a missing argument, a value of the wrong form; the message says which and how to get help',
}

const SESSION = `## Examples of a typical session

On one machine, with the embedded store (\`${DEFAULT_STORE_URI}\` and \`.keel/artifacts\` in the working
directory; nothing to start):

\`\`\`sh
keel experiments create fraud-detection          # prints its id
# ... train: a script using the Keel client (Keel.open()), see the README, logs runs to the same store ...
keel runs list --experiment fraud-detection      # newest first, a few metrics per run
keel runs search --experiment fraud-detection \\
  --filter "metrics.auc > 0.9 AND params.depth = '6'" --order-by 'metrics.auc DESC' --max-results 5
keel runs show <run-id>                          # params, latest metrics, tags, datasets
keel runs metric-history <run-id> loss           # every logged point of one metric
keel models versions fraud                       # the versions registered from runs, newest first
keel models version fraud 3                      # one version with its lineage
keel models alias set fraud champion 3           # move the alias; recorded with who and when
keel models resolve models:/fraud@champion       # what a server loading the champion gets today
keel models alias history fraud champion         # every move of the alias
\`\`\`

As a team, start a server once and point every command (and MLflow clients) at it:

\`\`\`sh
keel server --host 0.0.0.0 --port 5000 --store postgres://keel@db:5432/keel --artifacts /srv/keel/artifacts
export KEEL_STORE=http://keel.internal:5000      # every command below now talks to the server
MLFLOW_TRACKING_URI=http://keel.internal:5000 python train.py
keel runs search --filter 'metrics.auc > 0.9' --json | jq -r '.runs[].info.runId'
\`\`\`

Cleaning up: deleting is soft and undoable; \`keel gc\` makes it permanent and frees artifact space.

\`\`\`sh
keel runs delete <run-id>                        # 'keel runs restore <run-id>' undoes it
keel experiments delete fraud-old
keel gc --older-than 30d                         # purge what was deleted 30 days ago or more
\`\`\``

function cliIntro(): string {
  const exitRows = (Object.keys(EXIT) as Array<keyof typeof EXIT>).map((key) => `| ${EXIT[key]} | ${EXIT_MEANINGS[key]} |`)
  return `## Choosing a store: \`--store\` and \`KEEL_STORE\`

Every command that reads or writes data takes \`--store <uri>\`. Without it, keel uses the \`KEEL_STORE\` environment
variable, and without that \`${DEFAULT_STORE_URI}\` (relative to the working directory). An empty \`KEEL_STORE\`
counts as unset. The URI picks the backend:

| URI | Store |
|---|---|
| \`sqlite:.keel/keel.db\`, \`sqlite:///abs/path.db\` | an embedded SQLite file |
| \`postgres://user:pass@host:5432/db\` | PostgreSQL; migrations run on first connect |
| \`http://host:5000\`, \`https://…\` | a running \`keel server\`; every call goes over its REST API |

\`--artifacts <dir>\` (env \`KEEL_ARTIFACTS\`) is the artifact directory of a SQL store; it defaults to \`artifacts/\`
beside the SQLite file. Through a server, artifacts go through its proxy and need no directory. For a server
behind authentication, set \`KEEL_TRACKING_TOKEN\` (bearer), or \`KEEL_TRACKING_USERNAME\` and
\`KEEL_TRACKING_PASSWORD\` (basic), or put \`user:password@\` in the URL. \`keel models alias set/delete\` record
\`KEEL_USER\` (else the OS user) as who moved the alias. \`keel server\` itself serves a SQL store only, and also
reads \`KEEL_LOG_LEVEL\`. See [configuration.md](configuration.md) for every setting.

## Output: tables and \`--json\`

Results print as aligned tables (or \`label: value\` fields for one item) for people. \`--json\` prints them as
JSON on stdout instead, for scripts: the same objects as keel's TypeScript API (camelCase fields), with
non-finite metric values as \`"NaN"\`, \`"Infinity"\`, \`"-Infinity"\`. Hints for people, such as the
\`more: --page-token <token>\` line after a page of a long list, go to stderr, so stdout stays parseable.
Listing commands print one page (\`--max-results\`, default 100); pass the printed \`--page-token\` for the next.

## Exit codes

| code | meaning |
|---|---|
${exitRows.join('\n')}`
}

function commandIndex(commands: readonly CommandHelp[]): string {
  return commands
    .map((c) => `${'  '.repeat(Math.max(0, c.path.length - 1))}- [\`${c.path.join(' ')}\`](#${anchorOf(c.path)}): ${c.description}`)
    .join('\n')
}

/** docs/cli.md: a typical session, what every command shares, then the `--help` of every command. */
export function cliDoc(): string {
  const commands = collectCommandHelp()
  const reference = commands.map((c) => `### ${c.path.join(' ')}\n\n\`\`\`text\n${c.help.trimEnd()}\n\`\`\``)
  return `${[
    generatedNote('the commander program of src/cli/'),
    '# The keel command line',
    `\`keel\` inspects and manages what keel stores: experiments, runs and their metrics, registered models, versions
and aliases; it also runs the server and the garbage collector. Every command prints its help with \`--help\`;
this page collects all of them, after a typical session and what every command has in common.`,
    SESSION,
    cliIntro(),
    `## Commands\n\n${commandIndex(commands)}`,
    `## Command reference\n\n${reference.join('\n\n')}`,
  ].join('\n\n')}\n`
}
