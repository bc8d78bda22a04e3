import type { Command } from 'commander'
import { registerClient } from '../oidc/index.js'
import { printJson, withServices } from './context.js'

interface ClientAddOptions {
  name: string
  redirectUri: string[]
  postLogoutRedirectUri?: string[]
  backchannelLogoutUri?: string
  division?: string
  public?: boolean
  json?: boolean
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function clientCommands(program: Command): void {
  const client = program.command('client').description('relying parties (government service systems)')

  client
    .command('add')
    .description('register a relying party and print its client_id and client_secret')
    .requiredOption('--name <name>', 'display name shown on the sign-in page')
    .requiredOption('--redirect-uri <uri>', 'redirect URI (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'post-logout redirect URI (repeatable)', collect)
    .option('--backchannel-logout-uri <uri>', 'back-channel logout endpoint of the portal')
    .option('--division <code>', 'administrative division code (6 digits)')
    .option('--public', 'public client (no secret; PKCE only, refresh tokens rotate)')
    .option('--json', 'print the result as JSON')
    .action(async (options: ClientAddOptions) => {
      await withServices(async ({ clients, keySet, config }) => {
        const registered = await registerClient(
          { config, clients, loadJwks: keySet.loadSigningJwks },
          {
            name: options.name,
            redirectUris: options.redirectUri,
            postLogoutRedirectUris: options.postLogoutRedirectUri,
            backchannelLogoutUri: options.backchannelLogoutUri,
            divisionCode: options.division,
            public: options.public,
          },
        )
        const result = { client_id: registered.clientId, client_secret: registered.clientSecret ?? null, ...registered.metadata, division_code: options.division ?? null }
        if (options.json) return printJson(result)
        process.stdout.write(`client_id:     ${registered.clientId}\n`)
        if (registered.clientSecret) process.stdout.write(`client_secret: ${registered.clientSecret}\n(store the secret now: it is not shown again)\n`)
        process.stdout.write(`discovery:     ${config.issuer}/.well-known/openid-configuration\n`)
      })
    })

  client
    .command('list')
    .description('list relying parties')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await withServices(async ({ clients }) => {
        const rows = await clients.list()
        if (options.json) {
          return printJson(rows.map((c) => ({ client_id: c.clientId, client_name: c.name, division_code: c.divisionCode, status: c.status, redirect_uris: c.metadata.redirect_uris, token_endpoint_auth_method: c.metadata.token_endpoint_auth_method })))
        }
        if (rows.length === 0) return void process.stdout.write('no clients registered\n')
        for (const c of rows) {
          process.stdout.write(`${c.clientId}  ${c.status.padEnd(10)}  ${(c.divisionCode ?? '-').padEnd(6)}  ${c.name}\n`)
        }
      })
    })
}
