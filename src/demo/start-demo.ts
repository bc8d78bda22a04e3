/*
 * `npm run demo` in one function (the browser test starts the very same thing): OneDoor over a
 * fresh database with the federation manifest synced (its placeholder URLs pointed at the demo
 * portal host), a demo person, and the portal host where every system is a relying party.
 */
import path from 'node:path'
import type { Logger } from 'pino'
import { createOneDoor, type OneDoor } from '../app.js'
import { PROJECT_ROOT, type Config } from '../config/index.js'
import { readManifest, syncFederation, type DivisionTree, type ManifestSystem } from '../federation/index.js'
import { createPortalHost, type PortalHost } from './portal-host.js'
import type { DemoPortal } from './types.js'

export const DEFAULT_MANIFEST = path.join(PROJECT_ROOT, 'config', 'federation', 'manifest.json')

export interface StartDemoOptions {
  config: Config
  /** Public base URL of the portal host, e.g. http://localhost:3001 */
  portalPublicUrl: string
  portalPort: number
  /** Interface both servers bind to (unset: all). */
  hostname?: string
  manifestFile?: string
  /** Serve only some systems (tests keep the registry small). */
  only?: (system: ManifestSystem) => boolean
  logger?: Logger
  person?: DemoPerson
}

export interface DemoPerson {
  name: string
  idNumber: string
  phone: string
  password: string
}

export interface Demo {
  onedoor: OneDoor
  host: PortalHost
  portals: DemoPortal[]
  person: DemoPerson & { id: string }
  onedoorUrl: string
  portalUrl: string
  close(): Promise<void>
}

export const DEMO_PERSON: DemoPerson = {
  name: '王小明',
  idNumber: withCheckDigit('23010219900307512'),
  phone: '13800138000',
  password: 'Snowy-Harbin-Ice-2026',
}

export async function startDemo(options: StartDemoOptions): Promise<Demo> {
  const publicUrl = options.portalPublicUrl.replace(/\/$/, '')
  const onedoor = await createOneDoor(options.config, options.logger ? { logger: options.logger } : {})
  try {
    const manifest = await readManifest(options.manifestFile ?? DEFAULT_MANIFEST)
    const systems = manifest.systems.filter((s) => options.only?.(s) ?? true)
    const result = await syncFederation(onedoor.services.federation, { ...manifest, systems: systems.map((s) => atDemoHost(s, publicUrl)) }, { requireHttps: false })
    const secrets = new Map(result.secrets.map((s) => [s.clientId, s.clientSecret]))
    const missing = systems.filter((s) => !secrets.has(s.clientId))
    if (missing.length > 0) throw new Error(`the demo needs a fresh database: ${missing.length} systems were already registered (their secrets are unknown)`)

    const tree = await onedoor.services.divisions.tree()
    const portals = systems.map((s) => toDemoPortal(s, secrets.get(s.clientId)!, tree))
    const person = { ...(options.person ?? DEMO_PERSON) }
    const registered = await onedoor.services.persons.registerPerson(person, { phoneVerified: true })

    const { url: onedoorUrl } = await onedoor.listen(options.config.port, options.hostname)
    const host = createPortalHost({ issuer: options.config.issuer, publicUrl, portals, groupTitles: groupTitles(tree) })
    await host.listen(options.portalPort, options.hostname)
    return {
      onedoor,
      host,
      portals,
      person: { ...person, id: registered.id },
      onedoorUrl,
      portalUrl: publicUrl,
      async close() {
        await host.close()
        await onedoor.close(2000)
      },
    }
  } catch (err) {
    await onedoor.close(0)
    throw err
  }
}

/** The path a system is served at: its division code, or its name within the provincial platform. */
export function portalKey(system: Pick<ManifestSystem, 'clientId' | 'divisionCode'>): string {
  const key = system.clientId.replace(/^hlj-/, '').replace(/-portal$/, '')
  return /^[a-z0-9-]{1,64}$/.test(key) ? key : system.divisionCode
}

/** The manifest entry with its placeholder URLs replaced by the demo host's. */
function atDemoHost(system: ManifestSystem, publicUrl: string): ManifestSystem {
  const base = `${publicUrl}/portals/${portalKey(system)}/`
  return { ...system, portalUrl: base, redirectUris: [`${base}callback`], postLogoutRedirectUris: [base], backchannelLogoutUri: `${base}backchannel-logout` }
}

function toDemoPortal(system: ManifestSystem, clientSecret: string, tree: DivisionTree): DemoPortal {
  const division = tree.get(system.divisionCode)
  const lineage = [...tree.ancestors(system.divisionCode)].reverse()
  const divisionPath = [...lineage, ...(division ? [division] : [])].map((d) => d.name).join(' › ')
  const prefecture = division?.level === 'county' ? division.parentCode : division?.level === 'prefecture' ? division.code : undefined
  return {
    key: portalKey(system),
    clientId: system.clientId,
    clientSecret,
    name: system.name,
    divisionCode: system.divisionCode,
    divisionPath,
    groupCode: prefecture ?? system.divisionCode,
    scopes: [...new Set(['openid', ...system.allowedScopes])],
  }
}

function groupTitles(tree: DivisionTree): Record<string, string> {
  const titles: Record<string, string> = {}
  for (const d of tree.all) titles[d.code] = d.level === 'province' ? `${d.name} (provincial platform)` : d.name
  return titles
}

/** GB 11643 check digit, so the demo ID number is valid. */
function withCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...first17].reduce((acc, ch, i) => acc + Number(ch) * weights[i], 0)
  return first17 + '10X98765432'[sum % 11]
}
