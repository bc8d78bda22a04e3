/*
 * `npm run build` (also run by `prepare` and `prestart`): compiles the TypeScript server and CLI to
 * plain JavaScript in dist/ with esbuild, so that `npm start` runs without tsx. Why: compiling
 * ~160 TypeScript modules at every start cost about half a second of cold start and tens of MiB
 * of resident memory (README, Runtime). One bundle of our own code (dependencies stay in
 * node_modules, imported as usual) also saves resolving and reading each module at start.
 *
 * Nothing moves: views/, config/ and migrations/ are read from the project root as before. Code
 * that locates files from `import.meta.url` (the project root in src/config/load.ts, the password
 * list beside src/accounts/password-policy.ts) keeps working because the build rewrites
 * `import.meta.url` in each module to its source file's URL, expressed relative to the bundle, so
 * dist/ can be moved together with the project but never needs the sources' absolute paths.
 * Migrations stay TypeScript: knex imports them and Node ≥ 22.18 strips their types natively.
 *
 *   node scripts/build.js [--quiet]   build dist/main.js (server) and dist/cli.js (`onedoor`)
 *   import { build } from './build.js'  build({ entryPoints: { name: 'file.ts' } }) for other entries (bench)
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const DIST = path.join(ROOT, 'dist')

export const APP_ENTRIES = { main: 'src/main.ts', cli: 'src/cli/main.ts' }

/** `import.meta.url` of each source module, as seen from a bundle written directly into dist/. */
const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
      const source = await readFile(args.path, 'utf8')
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' }
      const relative = path.relative(DIST, args.path).split(path.sep).join('/')
      const expression = `new URL(${JSON.stringify(relative)}, import.meta.url).href`
      return { contents: source.replaceAll('import.meta.url', expression), loader: 'ts' }
    })
  },
}

/**
 * Bundles the given entry points (name → source path relative to the project root) into dist/.
 * Dependencies are not bundled: they load from node_modules exactly as under tsx.
 */
export async function build({ entryPoints = APP_ENTRIES, quiet = false } = {}) {
  const started = performance.now()
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, file]) => [name, path.join(ROOT, file)])),
    outdir: DIST,
    bundle: true,
    // One self-contained file per entry (no shared chunks): a later build of some entries can
    // never leave another entry pointing at a chunk that changed, and nothing stale piles up.
    splitting: false,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    // Keep class and function names: error names and logs use them.
    keepNames: true,
    logLevel: 'warning',
    plugins: [sourceUrlPlugin],
  })
  if (!quiet) process.stderr.write(`built ${Object.keys(entryPoints).map((n) => `dist/${n}.js`).join(', ')} in ${Math.round(performance.now() - started)} ms\n`)
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  build({ quiet: process.argv.includes('--quiet') }).catch((err) => {
    process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
