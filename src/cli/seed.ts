/*
 * `onedoor seed --persons N [--enterprises M]`: synthetic accounts in bulk for trials and the
 * accounts-size benchmark (src/seed/). Every argument is checked before the database is opened;
 * a failure part-way leaves whole batches only, and the summary says how far it got.
 */
import { randomBytes, randomInt } from 'node:crypto'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { checkSeedPlan, seedAccounts, SeedError, type SeedPlan, type SeedProgress, type SeedReport } from '../seed/index.js'
import { keyFromBase64 } from '../shared/crypto.js'
import { createSeedStore } from '../store/seed.js'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'
import { readStdin } from './person.js'

interface SeedOptions {
  persons?: string
  enterprises?: string
  password?: string
  passwordStdin?: boolean
  seed?: string
  batchSize: string
  allowProduction?: boolean
  json?: boolean
}

export function seedCommands(program: Command): void {
  program
    .command('seed')
    .description('create synthetic persons and enterprises in bulk (trials, benchmarks); all share one password')
    .option('--persons <n>', 'natural persons to create')
    .option('--enterprises <n>', 'legal persons to create, represented by persons of this run', '0')
    .option('--password <password>', 'the password of every seeded account (prefer --password-stdin)')
    .option('--password-stdin', 'read that password from standard input')
    .option('--seed <n>', 'random seed (0-4294967295): the same seed on an empty database gives the same accounts')
    .option('--batch-size <n>', 'persons per transaction', '5000')
    .option('--allow-production', 'seed even with NODE_ENV=production (a staging copy, never a live database)')
    .option('--json', 'print the summary as JSON')
    .action(async (options: SeedOptions) => {
      // The CLI's entry checks the process environment as main.ts does; synthetic accounts with
      // a shared known password must not land in a live database by accident.
      if (process.env.NODE_ENV === 'production' && !options.allowProduction) throw new CliError('refusing to seed with NODE_ENV=production (synthetic accounts share one password); use --allow-production for a staging copy')
      if (options.password !== undefined && options.passwordStdin) throw new CliError('give either --password or --password-stdin, not both')
      const generated = options.password === undefined && !options.passwordStdin
      const password = options.passwordStdin ? await readStdin() : (options.password ?? randomBytes(12).toString('base64url'))
      const plan: SeedPlan = {
        persons: wholeNumber(options.persons ?? '0'),
        enterprises: wholeNumber(options.enterprises ?? '0'),
        seed: options.seed === undefined ? randomInt(0, 2 ** 31) : wholeNumber(options.seed),
        batchSize: wholeNumber(options.batchSize),
        password,
      }
      const problems = checkSeedPlan(plan)
      if (problems.length > 0) throw new CliError(problems.join('; '))
      await withServices(async ({ db, divisions, passwords, config }) => {
        const progress = progressReporter(plan)
        let report: SeedReport
        try {
          report = await seedAccounts(
            { store: createSeedStore(db), divisions, passwords, piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey), piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey) },
            plan,
            progress.update,
          )
        } catch (err) {
          if (err instanceof SeedError) throw new CliError(err.message)
          const done = progress.last()
          throw new CliError(`seeding stopped after ${done.persons} persons and ${done.enterprises} enterprises (whole batches; the failed one was rolled back): ${(err as Error).message}`)
        } finally {
          progress.stop()
        }
        const names = new Map((await divisions.tree()).all.filter((d) => d.level === 'prefecture').map((d) => [d.code.slice(0, 4), d.name]))
        if (options.json) return printJson(toJson(report, generated ? password : undefined))
        printSummary(report, names, generated ? password : undefined)
      })
    })
}

/** Digits only: "1e6", "-1" and "12abc" are refused rather than read as something else. */
function wholeNumber(text: string): number {
  return /^\d{1,12}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
}

/** A bar on a terminal; elsewhere (CI, logs) a plain line every 10 % so the output stays readable. */
function progressReporter(plan: SeedPlan) {
  const total = plan.persons + plan.enterprises
  const started = performance.now()
  let last: SeedProgress = { persons: 0, enterprises: 0, skipped: 0 }
  let nextLine = 0.1
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'seed [{bar}] {percentage}% | {value}/{total} accounts | {rate}/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic)
    : undefined
  bar?.start(total, 0, { rate: 0 })
  return {
    update(done: SeedProgress) {
      last = done
      const accounts = done.persons + done.enterprises + done.skipped
      const rate = Math.round(accounts / ((performance.now() - started) / 1000))
      if (bar) return bar.update(accounts, { rate })
      if (accounts / total >= nextLine || accounts === total) {
        process.stderr.write(`seed: ${done.persons}/${plan.persons} persons, ${done.enterprises}/${plan.enterprises} enterprises (${Math.floor((accounts / total) * 100)} %, ${rate} accounts/s)\n`)
        while (nextLine <= accounts / total) nextLine += 0.1
      }
    },
    last: () => last,
    stop: () => bar?.stop(),
  }
}

function toJson(r: SeedReport, generatedPassword: string | undefined) {
  return {
    run_id: r.runId,
    seed: r.seed,
    first_person: r.firstPerson,
    persons: r.persons,
    enterprises: r.enterprises,
    skipped: r.skipped,
    seconds: Number(r.seconds.toFixed(3)),
    persons_per_second: Math.round(r.persons.created / r.seconds),
    by_prefecture: r.byPrefecture,
    ...(generatedPassword ? { password: generatedPassword } : {}),
  }
}

function printSummary(r: SeedReport, names: Map<string, string>, generatedPassword: string | undefined): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  out(`seed run ${r.runId} (seed ${r.seed}): ${r.persons.created} persons and ${r.enterprises.created} enterprises created in ${r.seconds.toFixed(1)} s (${Math.round(r.persons.created / r.seconds)} persons/s)${r.skipped ? `; ${r.skipped} skipped (ID number, phone or credit code already registered)` : ''}`)
  const shares = Object.entries(r.byPrefecture).sort((a, b) => b[1] - a[1]).map(([code, n]) => `${names.get(code) ?? code} ${((n / Math.max(1, r.persons.created)) * 100).toFixed(1)} %`)
  out(`persons by prefecture: ${shares.join(', ')}`)
  if (generatedPassword) out(`password of every seeded account (shown once): ${generatedPassword}`)
}
