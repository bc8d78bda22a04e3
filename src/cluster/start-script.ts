/*
 * How `npm start` runs the server, read from package.json's "start" script so that cluster nodes
 * run exactly like it (the built dist/main.js, the same V8 flags and memory settings) and the two
 * can never drift apart. The script has one shape:
 *
 *   NAME=${NAME:-default} … node --flag … dist/main.js
 *
 * Anything else is refused with a message naming the script, rather than guessed at.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PROJECT_ROOT } from '../config/index.js'

export interface StartCommand {
  /** Node's own flags (--max-old-space-size=…), in order. */
  nodeFlags: string[]
  /** The entry point, relative to the project root (dist/main.js). */
  entry: string
  /** Environment defaults (MALLOC_ARENA_MAX=1): used unless the environment sets them. */
  envDefaults: Record<string, string>
}

const ENV_DEFAULT = /^([A-Z_][A-Z0-9_]*)=\$\{\1:-([^}]*)\}$/

export function parseStartScript(script: string): StartCommand {
  const words = script.trim().split(/\s+/)
  const envDefaults: Record<string, string> = {}
  let i = 0
  for (; i < words.length && ENV_DEFAULT.test(words[i]); i += 1) {
    const [, name, value] = ENV_DEFAULT.exec(words[i])!
    envDefaults[name] = value
  }
  const nodeFlags = words.slice(i + 1, -1)
  const entry = words.at(-1) ?? ''
  if (words[i] !== 'node' || !entry.endsWith('.js') || entry.startsWith('-') || nodeFlags.some((f) => !f.startsWith('--'))) {
    throw new Error(`package.json "start" is not of the form "NAME=\${NAME:-value} … node --flag … file.js" (the cluster runs nodes as it does): ${script}`)
  }
  return { nodeFlags, entry, envDefaults }
}

export function readStartCommand(root = PROJECT_ROOT): StartCommand {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
  return parseStartScript(pkg.scripts?.start ?? '')
}
