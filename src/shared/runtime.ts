/*
 * The Node.js versions OneDoor runs on (package.json "engines": 22.18+ or 24+). On an older one
 * the process must stop with a reason, not crash: argon2's prebuilt addon ends Node 20 with a
 * bare segmentation fault when it loads, and node:sqlite does not exist there. Both entry points
 * (src/main.ts, src/cli/main.ts) ask before anything loads argon2 (see passwords.ts).
 */

/** Why this Node.js cannot run OneDoor, or undefined when it can. */
export function unsupportedRuntimeReason(version = process.versions.node, execPath = process.execPath): string | undefined {
  const [major, minor] = version.split('.').map(Number)
  if ((major === 22 && minor >= 18) || major >= 24) return undefined
  return (
    `OneDoor needs Node.js 22.18 or later (22 LTS) or 24 or later; this is v${version} (${execPath}).\n` +
    'Run it through npm (npm start, npm run onedoor -- …), which uses the Node.js that npm install put in\n' +
    'node_modules/.bin, or start that one yourself: node_modules/.bin/node dist/main.js (the server) or\n' +
    'node_modules/.bin/node bin/onedoor.js … (the onedoor command).\n'
  )
}
