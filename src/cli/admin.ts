/*
 * `onedoor admin …`: bootstrap and list administrators. A fresh installation has no default
 * administrator; whoever runs this on the server's shell creates the first one (recorded in the
 * audit trail as actor system/cli).
 */
import type { Command } from 'commander'
import { shapeScope } from '../admin/scope.js'
import { createAdministration } from '../admin/service.js'
import { ROLES } from '../admin/roles.js'
import { scopeFromTree } from '../admin/wiring.js'
import { keyFromBase64 } from '../shared/crypto.js'
import { CliError } from './errors.js'
import { printJson, withServices } from './context.js'

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description('administrators (roles scoped by division)')

  admin
    .command('add')
    .description('grant an administrative role to an existing account (bootstraps the first administrator)')
    .requiredOption('--login <id>', 'ID number or mobile number of the account')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--division <code>', 'division code (6 digits); default 230000, the province')
    .option('--json', 'print the result as JSON')
    .action(async (options: { login: string; role: string; division?: string; json?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(options.role)) throw new CliError(`unknown role "${options.role}" (one of ${ROLES.join(', ')})`)
      const division = options.division ?? '230000'
      if (!/^\d{6}$/.test(division)) throw new CliError('--division must be a 6-digit division code')
      await withServices(async (services) => {
        const tree = await services.divisions.tree().catch(() => undefined)
        if (tree && !tree.get(division)) throw new CliError(`unknown division code ${division}`)
        const administration = createAdministration({
          config: services.config,
          store: services.adminStore,
          audit: services.audit,
          scope: tree ? scopeFromTree(tree) : shapeScope,
          clients: services.clients,
          loadJwks: services.keySet.loadSigningJwks,
          keyEncryptionKey: keyFromBase64(services.config.secrets.keyEncryptionKey),
          piiEncryptionKey: keyFromBase64(services.config.secrets.piiEncryptionKey),
          piiBlindIndexKey: keyFromBase64(services.config.secrets.piiBlindIndexKey),
        })
        const created = await administration.addAdmin('cli', { login: options.login, role: options.role, divisionCode: division })
        if (options.json) return printJson(created)
        process.stdout.write(`administrator ${created.id}: ${created.role} for ${created.divisionCode} (${created.name})\n`)
      })
    })

  admin
    .command('list')
    .description('list administrators')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await withServices(async ({ adminStore }) => {
        const rows = await adminStore.listAdmins()
        const out = rows.map((r) => ({ id: r.id, person_id: r.personId, role: r.role, division_code: r.divisionCode, disabled: r.disabledAt !== null }))
        if (options.json) return printJson(out)
        if (out.length === 0) return void process.stdout.write('no administrators\n')
        for (const r of out) process.stdout.write(`${r.id}  ${r.role.padEnd(16)}  ${r.division_code}  person ${r.person_id}${r.disabled ? '  (disabled)' : ''}\n`)
      })
    })
}
