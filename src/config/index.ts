export { loadConfig, redactConfig, ConfigError, PROJECT_ROOT, type LoadOptions } from './load.js'
export type { Config } from './schema.js'
