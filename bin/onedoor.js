#!/usr/bin/env node
// The `onedoor` command: the built CLI (dist/cli.js, made by `npm install` / `npm run build`),
// as `npm start` runs the built server; from a checkout without a build, the sources through tsx.
import { existsSync } from 'node:fs'

const built = new URL('../dist/cli.js', import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
