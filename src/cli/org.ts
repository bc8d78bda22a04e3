import type { Command } from 'commander'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'

interface OrgAddOptions {
  uscc: string
  name: string
  legalRep: string
  json?: boolean
}

export function orgCommands(program: Command): void {
  const org = program.command('org').description('legal persons (enterprises, institutions, organisations)')
  org
    .command('add')
    .description('register a legal person by unified social credit code; the legal representative must already have an account')
    .requiredOption('--uscc <code>', 'unified social credit code (18 characters, GB 32100)')
    .requiredOption('--name <name>', 'registered name')
    .requiredOption('--legal-rep <id-number>', "legal representative's resident ID number")
    .option('--json', 'print the result as JSON')
    .action(async (options: OrgAddOptions) => {
      await withServices(async ({ enterprises }) => {
        const input = { uscc: options.uscc, name: options.name, legalRepresentativeIdNumber: options.legalRep }
        const { problems } = await enterprises.validateNewEnterprise(input)
        if (problems.length > 0) throw new CliError(problems.map((p) => `${p.code}: ${p.message}`).join('; '))
        const created = await enterprises.registerEnterprise(input)
        const result = { id: created.id, uscc: created.uscc, name: created.name, org_type: created.kind }
        if (options.json) return printJson(result)
        process.stdout.write(`organisation ${created.id} registered: ${created.name}, ${created.uscc} (${created.kind})\n`)
      })
    })
}
