import type { Command } from 'commander'
import { printJson, withServices } from './context.js'

export function keysCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys')
  keys
    .command('rotate')
    .description('activate the published next key, retire the current one, publish a fresh next key')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await withServices(async ({ keySet }) => {
        const result = await keySet.rotateKeys()
        if (options.json) return printJson(result)
        process.stdout.write(
          `keys rotated: now signing with ${result.activated.join(', ')}; retired ${result.retired.join(', ') || 'none'} ` +
            `(published until tokens they signed expire); published next ${result.published.join(', ')}.\n` +
            'Running servers pick the new key set up within keys.reloadIntervalSeconds.\n',
        )
      })
    })
}
