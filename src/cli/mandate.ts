import type { Command } from 'commander'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'

interface MandateAddOptions {
  uscc: string
  agent: string
  until?: string
  clients?: string
  json?: boolean
}

export function mandateCommands(program: Command): void {
  const mandate = program.command('mandate').description("agents' mandates to act for a legal person")
  mandate
    .command('add')
    .description("record a mandate the legal representative gave an agent (for all matters, or listed service systems)")
    .requiredOption('--uscc <code>', "the organisation's unified social credit code")
    .requiredOption('--agent <id-number>', "the agent's resident ID number (the agent must have an account)")
    .option('--until <date>', 'last day of validity, YYYY-MM-DD (China Standard Time); none = no end date')
    .option('--clients <ids>', 'comma-separated client ids the mandate is limited to; none = all matters')
    .option('--json', 'print the result as JSON')
    .action(async (options: MandateAddOptions) => {
      await withServices(async ({ enterprises, mandates }) => {
        const enterprise = await enterprises.findEnterpriseByUscc(options.uscc)
        if (!enterprise) throw new CliError('ENTERPRISE_NOT_FOUND: no organisation is registered with this unified social credit code')
        const input = {
          enterpriseId: enterprise.id,
          agentIdNumber: options.agent,
          until: options.until,
          clientIds: options.clients === undefined ? undefined : options.clients.split(',').map((c) => c.trim()).filter(Boolean),
        }
        if (options.clients !== undefined && input.clientIds!.length === 0) throw new CliError('MANDATE_CLIENTS_INVALID: --clients needs at least one client id')
        // The operator records the legal representative's decision: the representative is the actor.
        const actor = enterprise.legalRepresentativeId
        const { problems } = await mandates.validateNewMandate(actor, input)
        if (problems.length > 0) throw new CliError(problems.map((p) => `${p.code}: ${p.message}`).join('; '))
        const created = await mandates.grantMandate(actor, input)
        const result = {
          id: created.id,
          uscc: enterprise.uscc,
          agent_id: created.agentId,
          clients: created.clientIds,
          valid_until: created.validUntil === null ? null : new Date(created.validUntil).toISOString(),
        }
        if (options.json) return printJson(result)
        process.stdout.write(`mandate ${created.id} granted for ${enterprise.name} (${enterprise.uscc}): ${created.clientIds ? created.clientIds.join(', ') : 'all matters'}, ${result.valid_until ? `until ${options.until}` : 'no end date'}\n`)
      })
    })
}
