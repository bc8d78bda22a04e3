/*
 * `npm run demo`: OneDoor on http://localhost:3000 over a fresh SQLite database in data/demo/,
 * the federation manifest synced (every system pointed at the demo portal host), a demo person,
 * and the portal host on http://localhost:3001 where every system is a relying party.
 * PORT and DEMO_PORTAL_PORT change the ports. See docs/demo.md.
 */
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, PROJECT_ROOT } from '../src/config/index.js'
import { startDemo } from '../src/demo/start-demo.js'
import { createLogger } from '../src/http/logger.js'

const port = Number(process.env.PORT ?? 3000)
const portalPort = Number(process.env.DEMO_PORTAL_PORT ?? 3001)
const dataDir = path.join(PROJECT_ROOT, 'data', 'demo')

// A fresh registry each run: client secrets are shown once, at creation, and the demo needs them.
rmSync(dataDir, { recursive: true, force: true })
mkdirSync(dataDir, { recursive: true })

const config = loadConfig({
  env: {
    NODE_ENV: 'development',
    ONEDOOR_DATA_DIR: dataDir,
    DATABASE_URL: path.join(dataDir, 'onedoor.sqlite'),
    PORT: String(port),
    ISSUER: `http://localhost:${port}`,
    ONEDOOR_LOG_LEVEL: process.env.ONEDOOR_LOG_LEVEL ?? 'warn',
  },
  // Retries come quickly in the demo, so an "outage" ending is visible within seconds.
  overrides: { backchannelLogout: { retry: { intervalSeconds: 2, initialDelaySeconds: 3 } } },
})

const started = Date.now()
const demo = await startDemo({
  config,
  portalPublicUrl: `http://localhost:${portalPort}`,
  portalPort,
  hostname: '127.0.0.1',
  logger: createLogger(config.log.level),
})
const harbin = demo.portals.find((p) => p.key === '230100')
const counties = demo.portals.filter((p) => p.groupCode === '230100' && p.key !== '230100').slice(0, 5)
const { person } = demo

process.stdout.write(`
  OneDoor demo (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  OneDoor (OpenID provider)   ${config.issuer}/.well-known/openid-configuration
  Demo portal host            ${demo.portalUrl}/   (${demo.portals.length} federated systems, each a relying party)
${[harbin, ...counties].filter((p) => p !== undefined).map((p) => `    ${demo.portalUrl}/portals/${p.key}/`.padEnd(44) + `${p.name}\n`).join('')}
  Demo person
    name        ${person.name}
    ID number   ${person.idNumber}
    phone       ${person.phone}
    password    ${person.password}

  Sign in at one portal, open any other: it is signed in without a password.
  Sign out at one: every portal gets a back-channel logout token and shows signed out.
  Data: ${dataDir} (recreated on every start). Ctrl+C stops.
`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    void demo.close().then(() => process.exit(0), () => process.exit(1))
  })
}
