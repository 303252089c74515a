// `keel` from source for bench/serving (like test/support/keel-cli.ts): `node --import tsx bench/serving/keel-cli.ts serve ...`
import { main } from '../../src/cli/main.js'

process.exitCode = await main(process.argv)
