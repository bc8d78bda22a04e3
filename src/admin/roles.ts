/*
 * Roles, permissions and the one authorisation check, can(). Separation of duties (等保 level 3):
 * the operator configures systems but never reads the audit trail; the auditor reads the trail
 * and changes nothing; administrators manage accounts and systems in their division tree.
 */
import type { DivisionLevel, DivisionScope } from './scope.js'

export const PERMISSIONS = [
  'client.read',
  'client.write',
  'person.read',
  'person.write',
  'person.verify',
  'person.unlock',
  'person.reveal_id',
  'admin.read',
  'admin.write',
  'audit.read',
  'dashboard.read',
] as const
export type Permission = (typeof PERMISSIONS)[number]

export const ROLES = ['province_admin', 'prefecture_admin', 'county_admin', 'counter_clerk', 'auditor', 'operator'] as const
export type Role = (typeof ROLES)[number]

const ADMINISTRATOR: readonly Permission[] = ['client.read', 'client.write', 'person.read', 'person.write', 'person.verify', 'person.unlock', 'person.reveal_id', 'admin.read', 'admin.write', 'dashboard.read']

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  province_admin: ADMINISTRATOR,
  prefecture_admin: ADMINISTRATOR,
  county_admin: ADMINISTRATOR,
  counter_clerk: ['person.read', 'person.verify', 'person.unlock'],
  auditor: ['audit.read'],
  operator: ['client.read', 'client.write', 'dashboard.read'],
}

/** The administrator roles are bound to a division level; the others work at any level. */
export const ROLE_LEVEL: Partial<Record<Role, DivisionLevel>> = {
  province_admin: 'province',
  prefecture_admin: 'prefecture',
  county_admin: 'county',
}

export interface Grant {
  role: Role
  divisionCode: string
}

/** Who is acting: a person with one or more grants, from where. */
export interface Actor {
  personId: string
  grants: readonly Grant[]
  ip?: string
  userAgent?: string
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

/**
 * True when one of the actor's grants carries `permission` over `divisionCode`. Objects with no
 * division (null) belong to the province: only a grant at the root level reaches them.
 */
export function can(scope: DivisionScope, actor: Actor, permission: Permission, divisionCode: string | null): boolean {
  return actor.grants.some((g) => ROLE_PERMISSIONS[g.role].includes(permission) && covers(scope, g.divisionCode, divisionCode))
}

function covers(scope: DivisionScope, grantDivision: string, target: string | null): boolean {
  if (target === null) return scope.levelOf(grantDivision) === 'province'
  return scope.isWithin(target, grantDivision)
}

/**
 * Delegation: the actor may grant `role` at `divisionCode` only where it holds admin.write over
 * that division AND a single grant covering the division already holds every permission of the
 * new role, at the same level or above (a prefecture admin cannot make a province admin).
 */
export function canGrant(scope: DivisionScope, actor: Actor, role: Role, divisionCode: string): boolean {
  const wanted = ROLE_PERMISSIONS[role]
  return actor.grants.some((g) => {
    const held = ROLE_PERMISSIONS[g.role]
    if (!held.includes('admin.write') || !scope.isWithin(divisionCode, g.divisionCode)) return false
    if (!wanted.every((p) => held.includes(p))) return false
    const grantLevel = rank(scope.levelOf(g.divisionCode))
    const newLevel = ROLE_LEVEL[role] ? rank(ROLE_LEVEL[role]) : rank(scope.levelOf(divisionCode))
    return newLevel >= grantLevel
  })
}

/** province 0 < prefecture 1 < county 2 (larger is lower in the tree). */
function rank(level: DivisionLevel | undefined): number {
  return level === 'province' ? 0 : level === 'prefecture' ? 1 : 2
}
