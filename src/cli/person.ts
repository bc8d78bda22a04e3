import type { Command } from 'commander'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'

interface PersonAddOptions {
  name: string
  idNumber: string
  phone: string
  password?: string
  passwordStdin?: boolean
  documentType?: string
  country?: string
  json?: boolean
}

export function personCommands(program: Command): void {
  const person = program.command('person').description('natural persons (residents)')
  person
    .command('add')
    .description('register a natural person')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--id-number <id>', 'resident ID number (18 characters, GB 11643), or the number of the document given by --document-type')
    .option('--document-type <type>', 'resident_id (default), hk_macao_residence_permit, taiwan_residence_permit, foreign_permanent_residence_id or passport')
    .option('--country <code>', 'issuing country of a passport (ISO 3166-1 alpha-3, e.g. RUS)')
    .requiredOption('--phone <phone>', 'mainland China mobile number')
    .option('--password <password>', 'initial password (prefer --password-stdin: arguments are visible to other users)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--json', 'print the result as JSON')
    .action(async (options: PersonAddOptions) => {
      if (options.password !== undefined && options.passwordStdin) throw new CliError('give either --password or --password-stdin, not both')
      const password = options.passwordStdin ? await readStdin() : options.password
      if (password === undefined) throw new CliError('a password is required: --password or --password-stdin')
      await withServices(async ({ persons }) => {
        const input = { name: options.name, idNumber: options.idNumber, phone: options.phone, password, documentType: options.documentType, documentCountry: options.country }
        const { problems } = persons.validateNewPerson(input)
        if (problems.length > 0) throw new CliError(problems.map((p) => `${p.code}: ${p.message}`).join('; '))
        const created = await persons.registerPerson(input)
        const result = { id: created.id, name: created.name, document_type: created.documentType, id_number: created.idNumberMasked, phone: created.phone, assurance_level: created.assuranceLevel }
        if (options.json) return printJson(result)
        process.stdout.write(`person ${created.id} created: ${created.name}, ${created.idNumberMasked}, ${created.phone}\n`)
      })
    })
}

/** The whole of standard input without its final newline (a password piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}
