import { unsupportedRuntimeReason } from '../shared/runtime.js'
import { runCli } from './index.js'

const unsupported = unsupportedRuntimeReason()
if (unsupported) process.stderr.write(unsupported)
process.exitCode = unsupported ? 1 : await runCli(process.argv.slice(2))
