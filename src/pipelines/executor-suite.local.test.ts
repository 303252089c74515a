import { executorSuite } from '../../test/support/executor-suite.js'
import { LocalExecutor } from './local-executor.js'

executorSuite('local', async ({ keel, registry }) => ({ executor: new LocalExecutor(keel, registry), close: async () => {} }), { worker: /^local$/ })
