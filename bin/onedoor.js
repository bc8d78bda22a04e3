#!/usr/bin/env node
// The `onedoor` command: the built CLI (dist/cli.js, made by `npm install` / `npm run build`),
// as `npm start` runs the built server; from a checkout without a build, the sources through tsx.
// Plain JavaScript that any Node.js can start: it must not load anything native before the check below.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const [major, minor] = process.versions.node.split('.').map(Number)
// The rule of package.json engines, as src/shared/runtime.ts states it for the built entry points
// (this file cannot import TypeScript: an older Node has no type stripping).
const supported = (major === 22 && minor >= 18) || major >= 24
const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
if (!supported && existsSync(projectNode)) {
  // Started by an older system Node.js (`./bin/onedoor.js`, or `onedoor` on PATH after `npm link`;
  // Debian 12 ships Node 20): run the command on the Node.js that npm install put in node_modules,
  // as npm scripts do. A Ctrl-C reaches both processes; this one waits for the command to end.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  const command = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(command.status ?? 1)
}

const built = new URL('../dist/cli.js', import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
