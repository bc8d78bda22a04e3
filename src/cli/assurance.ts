import type { Command } from 'commander'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'

interface VerifyOptions {
  idNumber: string
  staff: string
  reference?: string
  json?: boolean
}

export function assuranceCommands(program: Command): void {
  const assurance = program.command('assurance').description('real-name assurance levels (实名认证等级)')
  assurance
    .command('verify')
    .description('record a real-name verification done in person at a service counter (level 2)')
    .requiredOption('--id-number <id>', "the person's resident ID number (they must have an account)")
    .requiredOption('--staff <name>', 'staff member who checked the document (recorded as evidence)')
    .option('--reference <text>', 'counter ticket or case number')
    .option('--json', 'print the result as JSON')
    .action(async (options: VerifyOptions) => {
      await withServices(async ({ enterprises, assurance }) => {
        if (!options.staff.trim()) throw new CliError('ASSURANCE_STAFF_REQUIRED: --staff must name the staff member')
        const personId = await enterprises.findPersonIdByIdNumber(options.idNumber)
        if (!personId) throw new CliError('ACCOUNT_NOT_FOUND: no person is registered with this ID number')
        await assurance.verifyAtCounter(personId, options.staff, options.reference)
        const level = await assurance.identityLevel(personId)
        if (options.json) return printJson({ id: personId, assurance_level: level, method: 'counter' })
        process.stdout.write(`person ${personId} verified at the counter: level ${level}\n`)
      })
    })
}
