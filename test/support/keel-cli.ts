// Runs the `keel` CLI from source (tests spawn it with `node --import tsx`), so tests never need a build.
import { main } from '../../src/cli/main.js'

process.exitCode = await main(process.argv)
