import { main } from '../../src/cli/main.js'
import type { CliIo } from '../../src/cli/output.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `keel <args>` in-process with the given environment and captures what it prints. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  onServerStarted?: CliIo['onServerStarted'],
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
  }
  if (onServerStarted !== undefined) io.onServerStarted = onServerStarted
  const code = await main(['node', 'keel', ...args], io)
  return { code, stdout, stderr }
}
