/*
 * The `onedoor` command (also `npm run onedoor -- …`), on the same configuration as the
 * server. Command names and flags are a contract that operators' scripts rely on:
 * extend, never rename. Every failure prints one line and exits non-zero; nothing is
 * written unless every input is valid.
 */
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../config/index.js'
import { AppError } from '../shared/errors.js'
import { isConnectionError } from '../store/errors.js'
import { clientCommands } from './client.js'
import { federationCommands } from './federation.js'
import { importCommands } from './import.js'
import { keysCommands } from './keys.js'
import { migrateCommand } from './migrate.js'
import { personCommands } from './person.js'
import { orgCommands } from './org.js'
import { mandateCommands } from './mandate.js'
import { assuranceCommands } from './assurance.js'
import { CliError } from './errors.js'
import { adminCommands } from './admin.js'
import { auditCommands } from './audit.js'
import { seedCommands } from './seed.js'

export function buildCli(): Command {
  const program = new Command('onedoor')
    .description('OneDoor (一扇门): unified identity and single sign-on for Heilongjiang government services')
    .showHelpAfterError()
    .exitOverride()
  migrateCommand(program)
  clientCommands(program)
  personCommands(program)
  orgCommands(program)
  mandateCommands(program)
  assuranceCommands(program)
  keysCommands(program)
  federationCommands(program)
  importCommands(program)
  adminCommands(program)
  auditCommands(program)
  seedCommands(program)
  return program
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli()
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (err instanceof ConfigError) {
      process.stderr.write(`onedoor: ${err.message}\n`)
      return 1
    }
    if (err instanceof AppError) {
      process.stderr.write(`onedoor: ${err.code}: ${err.message}\n`)
      return 1
    }
    if (err instanceof CliError) {
      process.stderr.write(`onedoor: ${err.message}\n`)
      return 1
    }
    if (isConnectionError(err)) {
      // The URL is not echoed: it may carry a password.
      process.stderr.write(`onedoor: cannot reach the database (${connectionFailure(err)}); check DATABASE_URL and that the database server is running\n`)
      return 1
    }
    process.stderr.write(`onedoor: unexpected error: ${(err as Error).message}\n`)
    return 1
  }
}

/** The driver's short reason (ECONNREFUSED, a timeout…), from the error or the first of an AggregateError. */
function connectionFailure(err: unknown): string {
  const first = err instanceof AggregateError ? err.errors[0] : err
  const e = first as { code?: unknown; message?: string }
  return typeof e?.code === 'string' && e.code ? e.code : (e?.message ?? 'no answer')
}
