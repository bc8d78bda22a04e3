import type { Command } from 'commander'
import { loadConfig } from '../config/index.js'
import { createDb, migrateLatest, migrateRollbackAll } from '../store/db.js'

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--rollback-all', 'undo every migration (development only)')
    .action(async (options: { rollbackAll?: boolean }) => {
      const config = loadConfig()
      const db = createDb(config.db)
      try {
        const names = options.rollbackAll ? await migrateRollbackAll(db) : await migrateLatest(db)
        const verb = options.rollbackAll ? 'rolled back' : 'applied'
        process.stdout.write(names.length ? `${verb} ${names.length} migration(s):\n${names.map((n) => `  ${n}`).join('\n')}\n` : 'database is up to date\n')
      } finally {
        await db.destroy()
      }
    })
}
