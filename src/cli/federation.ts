/*
 * `onedoor federation sync|onboard`: the federation registry from the command line. Sync is
 * all-or-nothing (every problem listed, nothing applied); secrets of new systems are shown
 * once, on stdout or in a file the operator names.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { PROJECT_ROOT } from '../config/index.js'
import { FederationError, integrationGuide, onboardSystem, readManifest, syncFederation, type SyncResult } from '../federation/index.js'
import { CLAIMS } from '../oidc/index.js'
import { isAppError } from '../shared/errors.js'
import { printJson, withServices } from './context.js'
import { CliError } from './errors.js'

export const DEFAULT_MANIFEST = path.join(PROJECT_ROOT, 'config', 'federation', 'manifest.json')

const collect = (value: string, previous: string[] = []) => [...previous, value]

interface SyncCliOptions {
  dryRun?: boolean
  manifest: string
  secretsFile?: string
  json?: boolean
}

interface OnboardCliOptions {
  division: string
  redirectUri: string[]
  backchannelLogoutUri?: string
  postLogoutRedirectUri?: string[]
  name?: string
  portalUrl?: string
  scope?: string
  consent?: string
  assuranceLevel?: string
  sector?: string
  json?: boolean
}

export function federationCommands(program: Command): void {
  const federation = program.command('federation').description('service systems of the provincial federation')

  federation
    .command('sync')
    .description('apply the federation manifest: create, update and suspend service systems (all or nothing)')
    .option('--dry-run', 'show what would change; write nothing')
    .option('--manifest <path>', 'manifest file', DEFAULT_MANIFEST)
    .option('--secrets-file <path>', 'write the secrets of created systems to this file (mode 600) instead of stdout')
    .option('--json', 'print the result as JSON')
    .action(async (options: SyncCliOptions) => {
      const manifest = await withProblemsListed(() => readManifest(options.manifest))
      await withServices(async ({ federation: deps }) => {
        const bar = progressBar('sync')
        let result: SyncResult
        try {
          result = await withProblemsListed(() =>
            syncFederation(deps, manifest, {
              dryRun: options.dryRun,
              onProgress: bar.update,
              beforeCommit: async (r) => {
                // Written before the commit: if the file cannot be written, nothing is applied.
                if (options.secretsFile && r.secrets.length > 0) await writeSecrets(options.secretsFile, r)
              },
            }),
          )
        } finally {
          bar.stop()
        }
        if (options.json) {
          return printJson({ ...result, secrets: options.secretsFile ? [] : result.secrets.map((s) => ({ client_id: s.clientId, client_secret: s.clientSecret })) })
        }
        printSyncSummary(result, options.secretsFile)
      })
    })

  federation
    .command('onboard')
    .description('register one service system and print its credentials and an integration guide')
    .requiredOption('--division <code>', 'administrative division code (6 digits)')
    .requiredOption('--redirect-uri <uri>', 'redirect URI (repeatable)', collect)
    .option('--backchannel-logout-uri <uri>', 'back-channel logout endpoint (mod_auth_openidc: <redirect URI>?logout=backchannel)')
    .option('--post-logout-redirect-uri <uri>', 'post-logout redirect URI (repeatable)', collect)
    .option('--name <name>', 'display name (default: <division>政务服务系统)')
    .option('--portal-url <url>', 'portal home page (default: origin of the first redirect URI)')
    .option('--scope <scopes>', 'approved scopes, space-separated (default "openid profile")')
    .option('--consent <policy>', 'explicit (default) or implicit (government portals: no consent screen, grant still recorded)')
    .option('--assurance-level <n>', 'required assurance level 1-3 (default 1)')
    .option('--sector <sector>', 'pairwise sector shared with other systems (default: its own)')
    .option('--json', 'print credentials and guide as JSON')
    .action(async (options: OnboardCliOptions) => {
      const consent = options.consent ?? 'explicit'
      if (consent !== 'explicit' && consent !== 'implicit') throw new CliError('--consent must be explicit or implicit')
      const level = options.assuranceLevel === undefined ? 1 : Number(options.assuranceLevel)
      if (!Number.isInteger(level) || level < 1 || level > 3) throw new CliError('--assurance-level must be 1, 2 or 3')
      const scopes = (options.scope ?? 'openid profile').split(/\s+/).filter(Boolean)
      await withServices(async ({ federation: deps, config }) => {
        const result = await withProblemsListed(() =>
          onboardSystem(deps, {
            divisionCode: options.division,
            redirectUris: options.redirectUri,
            backchannelLogoutUri: options.backchannelLogoutUri,
            postLogoutRedirectUris: options.postLogoutRedirectUri,
            name: options.name,
            portalUrl: options.portalUrl,
            allowedScopes: scopes,
            consentPolicy: consent,
            requiredAssuranceLevel: level,
            sector: options.sector,
          }),
        )
        const guide = integrationGuide({
          issuer: config.issuer,
          clientId: result.clientId,
          name: result.name,
          divisionName: result.division.name,
          redirectUri: options.redirectUri[0],
          postLogoutRedirectUri: options.postLogoutRedirectUri?.[0],
          backchannelLogoutUri: options.backchannelLogoutUri,
          scopes: String(result.metadata.scope ?? 'openid').split(' '),
          claimsByScope: CLAIMS,
          requiredAcr: (result.metadata.default_acr_values as string[] | undefined)?.[0],
          consentPolicy: result.federation.consentPolicy,
        })
        if (options.json) {
          return printJson({ client_id: result.clientId, client_secret: result.clientSecret, division_code: result.division.code, ...result.metadata, discovery: `${config.issuer}/.well-known/openid-configuration`, guide })
        }
        process.stdout.write(`client_id:     ${result.clientId}\n`)
        process.stdout.write(`client_secret: ${result.clientSecret}\n(store the secret now: it is not shown again)\n\n`)
        process.stdout.write(`${guide}\n`)
      })
    })
}

/** Prints every problem of a bad manifest or entry on its own line, then fails with one line. */
async function withProblemsListed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (isAppError(err) && err.code === FederationError.MANIFEST_INVALID().code) {
      const problems = (err.details?.problems as string[] | undefined) ?? []
      for (const problem of problems) process.stderr.write(`  - ${problem}\n`)
      throw new CliError(`${problems.length} problem(s) found; nothing was applied`)
    }
    throw err
  }
}

function printSyncSummary(result: SyncResult, secretsFile?: string): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  for (const c of result.created) out(`+ ${c.clientId}  ${c.divisionCode}  ${c.name}`)
  for (const c of result.updated) out(`~ ${c.clientId}  ${c.divisionCode}  ${c.name}  (${c.fields?.join(', ')})`)
  for (const c of result.suspended) out(`- ${c.clientId}  ${c.divisionCode}  ${c.name}  (suspended)`)
  out(`${result.dryRun ? 'dry run: ' : ''}${result.created.length} created, ${result.updated.length} updated, ${result.suspended.length} suspended, ${result.unchanged} unchanged${result.dryRun ? ' (nothing written)' : ''}`)
  if (result.secrets.length === 0) return
  if (secretsFile) {
    out(`secrets of ${result.secrets.length} new system(s) written to ${secretsFile}`)
    return
  }
  out('\nclient secrets of the new systems (store them now: they are not shown again):')
  for (const s of result.secrets) out(`${s.clientId}  ${s.clientSecret}`)
}

async function writeSecrets(file: string, result: SyncResult): Promise<void> {
  const body = JSON.stringify(result.secrets.map((s) => ({ client_id: s.clientId, client_secret: s.clientSecret })), null, 2)
  try {
    await writeFile(file, `${body}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    throw new CliError(`cannot write the secrets file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was applied`)
  }
}

/** A progress bar on stderr, only when stderr is a terminal (scripts and CI see none). */
export function progressBar(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0)
        started = true
      }
      bar.setTotal(total)
      bar.update(done)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
