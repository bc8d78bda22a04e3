import type { Command } from 'commander'
import { printJson, withServices } from './context.js'

export function keysCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys')
  keys
    .command('rotate')
    .description('activate the published next key, retire the current one, publish a fresh next key')
    .option('--force', 'rotate even if the previous rotation was less than keys.minRotationIntervalSeconds ago (a compromised key)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { force?: boolean; json?: boolean }) => {
      await withServices(async ({ keySet }) => {
        const result = await keySet.rotateKeys({ force: options.force })
        if (result.forcedAfterSeconds !== undefined) {
          // What relying parties will see, on stderr so that --json output stays parseable.
          process.stderr.write(
            `onedoor: warning: forced rotation ${result.forcedAfterSeconds} s after the previous one: relying parties that fetched the JWKS before then ` +
              'do not know the newly active key and reject ID tokens and JWT access tokens signed with it until they fetch the JWKS again ' +
              '(openid-client: at most once a minute after an unknown kid; others when their cache expires).\n',
          )
        }
        if (options.json) return printJson(result)
        process.stdout.write(
          `keys rotated: now signing with ${result.activated.join(', ')}; retired ${result.retired.join(', ') || 'none'} ` +
            `(published until tokens they signed expire); published next ${result.published.join(', ')}.\n` +
            'Running servers pick the new key set up within keys.reloadIntervalSeconds.\n',
        )
      })
    })
}
