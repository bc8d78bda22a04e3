/* Process entry: load config -> open database, migrate, keys -> listen -> graceful shutdown. */
import { createOneDoor } from './app.js'
import { ConfigError, loadConfig } from './config/index.js'
import { unsupportedRuntimeReason } from './shared/runtime.js'
import { isConnectionError } from './store/errors.js'

const startedAt = performance.now()
/** SIGTERM to exit, at most: readiness delay, then in-flight requests, then cut. */
const SHUTDOWN_LIMIT_MS = 10_000

async function main(): Promise<void> {
  const unsupported = unsupportedRuntimeReason()
  if (unsupported) {
    process.stderr.write(unsupported)
    process.exit(1)
  }
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`OneDoor cannot start: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const onedoor = await createOneDoor(config)
  const { port } = await onedoor.listen()
  const database = config.db.client === 'pg' ? 'PostgreSQL' : `SQLite (${config.db.url})`
  onedoor.logger.info({ issuer: config.issuer, port, database, startupMs: Math.round(performance.now() - startedAt) }, 'OneDoor listening')
  if (process.stdout.isTTY || process.env.NODE_ENV !== 'production') {
    process.stdout.write(banner(config.issuer, database, port))
  }

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    onedoor.logger.info({ signal }, 'shutting down: readiness off, draining requests')
    // The shutdown is bounded (10 s, issue 6): should closing the pool itself hang, exit anyway.
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS + 2000).unref()
    onedoor
      .close(SHUTDOWN_LIMIT_MS, config.shutdown.readinessDelaySeconds * 1000)
      .then(() => process.exit(0))
      .catch((err) => {
        onedoor.logger.error({ err }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

function banner(issuer: string, database: string, port: number): string {
  return `
  OneDoor 一扇门 is running.
    issuer     ${issuer}
    discovery  ${issuer}/.well-known/openid-configuration
    database   ${database}
    listening  port ${port}

  Next steps:
    npm run onedoor -- person add --name 张三 --id-number 230102199001011230 --phone 13800138000 --password-stdin
    npm run onedoor -- client add --name "Demo portal" --redirect-uri http://localhost:8080/callback
  then point the portal's OIDC library at the discovery URL above.

`
}

main().catch((err) => {
  const reason = err instanceof Error ? err.message : String(err)
  // The URL is not echoed: it may carry a password.
  const hint = isConnectionError(err) ? '; cannot reach the database: check DATABASE_URL and that the database server is running' : ''
  process.stderr.write(`OneDoor failed to start: ${reason}${hint}\n`)
  process.exit(1)
})
