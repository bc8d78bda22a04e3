/*
 * `onedoor audit …`: verify the hash chain (exit 1 naming the first altered, inserted or deleted
 * record), export CSV, and archive-then-purge records older than the retention period.
 */
import { createWriteStream, existsSync } from 'node:fs'
import type { Command } from 'commander'
import { CliError } from './errors.js'
import { printJson, withServices } from './context.js'

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail')

  audit
    .command('verify')
    .description('check the hash chain; exits 1 at the first altered, inserted or deleted record')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await withServices(async (services) => {
        const result = await services.audit.verify()
        if (options.json) printJson(result)
        else if (result.ok) process.stdout.write(`audit chain intact: ${result.checked} records${result.head ? `, head ${result.head.seq} ${result.head.hash}` : ''}\n`)
        if (!result.ok) throw new CliError(`audit chain broken at record ${result.problem!.seq} (${result.problem!.kind}): ${result.problem!.message}`)
      })
    })

  audit
    .command('export')
    .description('write the audit records as CSV (whole trail; scoped exports are in the console and API)')
    .option('--from <date>', 'first day (YYYY-MM-DD)')
    .option('--to <date>', 'last day (YYYY-MM-DD)')
    .option('--out <file>', 'output file (default: standard output)')
    .action(async (options: { from?: string; to?: string; out?: string }) => {
      const from = options.from ? parseDay(options.from, '--from') : undefined
      const to = options.to ? parseDay(options.to, '--to') + 86_400_000 : undefined
      if (options.out && existsSync(options.out)) throw new CliError(`${options.out} already exists; choose a new file`)
      await withServices(async (services) => {
        const stream = options.out ? createWriteStream(options.out, { flags: 'wx' }) : process.stdout
        const count = await services.audit.exportCsv({ divisionPrefixes: null, from, to }, (chunk) => new Promise<void>((resolve) => (stream.write(chunk) ? resolve() : stream.once('drain', () => resolve()))))
        if (options.out) await new Promise<void>((resolve) => stream.end(() => resolve()))
        await services.audit.record({ type: 'audit.trail.exported', actor: { type: 'system', id: 'cli' }, details: { count, from: options.from, to: options.to } })
        if (options.out) process.stderr.write(`${count} records written to ${options.out}\n`)
      })
    })

  audit
    .command('archive')
    .description('write records older than DATE to FILE, then purge them (never younger than the retention period)')
    .requiredOption('--before <date>', 'records before this day (YYYY-MM-DD) are archived')
    .requiredOption('--out <file>', 'archive file to create (JSON lines; must not exist)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { before: string; out: string; json?: boolean }) => {
      const before = new Date(parseDay(options.before, '--before'))
      await withServices(async (services) => {
        const result = await services.audit.archive(before, options.out)
        if (options.json) return printJson(result)
        process.stdout.write(`archived ${result.count} records (through ${result.throughSeq}) to ${options.out}, sha256 ${result.fileSha256}\n`)
      })
    })
}

function parseDay(value: string, flag: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new CliError(`${flag} must be a date YYYY-MM-DD`)
  const at = Date.parse(`${value}T00:00:00Z`)
  if (new Date(at).toISOString().slice(0, 10) !== value) throw new CliError(`${flag} must be a real date`)
  return at
}
