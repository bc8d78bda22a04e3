/*
 * `onedoor import accounts FILE --from SYSTEM`: users of an existing prefecture or county
 * system, with their legacy password hashes (formats in docs/account-import.md). Prints a
 * report; safe to run again (already imported records are skipped).
 */
import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { countRecords, importAccounts, importFileFormat, readImportFile, type ImportReport } from '../federation/index.js'
import { keyFromBase64 } from '../shared/crypto.js'
import { createAccountImportStore } from '../store/federation.js'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'
import { progressBar } from './federation.js'

interface ImportCliOptions {
  from: string
  format?: string
  json?: boolean
}

export function importCommands(program: Command): void {
  const imports = program.command('import').description('bring data of existing systems into OneDoor')
  imports
    .command('accounts')
    .description('import the accounts of an existing service system (CSV or JSON lines) with their legacy password hashes')
    .argument('<file>', 'CSV with a header row, or JSON lines (.jsonl)')
    .requiredOption('--from <client_id>', 'the registered service system the accounts come from')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: ImportCliOptions) => {
      if (!existsSync(file)) throw new CliError(`${file}: file not found`)
      const format = importFileFormat(file, options.format)
      const total = await countRecords(file, format)
      await withServices(async ({ db, clients, config }) => {
        const bar = progressBar('import')
        let report: ImportReport
        try {
          report = await importAccounts(
            {
              store: createAccountImportStore(db),
              clients,
              piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey),
              piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey),
            },
            readImportFile(file, format),
            { sourceClientId: options.from, onProgress: (done) => bar.update(done, Math.max(total, done)) },
          )
        } finally {
          bar.stop()
        }
        if (options.json) return printJson(report)
        printReport(report)
      })
    })
}

function printReport(r: ImportReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  out(`import from ${r.source}: ${r.read} read, ${r.created} created, ${r.merged} merged into existing persons, ${r.alreadyImported} already imported, ${r.rejected.length} rejected, ${r.conflicts.length} conflict(s)`)
  const formats = Object.entries(r.byFormat).map(([f, n]) => `${f} ${n}`).join(', ')
  if (formats) out(`legacy hashes stored (upgraded to argon2id at first sign-in): ${formats}`)
  for (const c of r.conflicts) out(`conflict  line ${c.line}  legacy ${c.legacyId}  person ${c.personId}  ${c.idNumberMasked}  differs: ${c.fields.join(', ')} (existing values kept)`)
  for (const x of r.rejected) out(`rejected  line ${x.line}  legacy ${x.legacyId || '-'}  ${x.reason}`)
}
