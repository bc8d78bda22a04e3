/*
 * Where an administrator's authority reaches: a division and everything below it. Division codes
 * (GB/T 2260) nest by shape — 230000 province, 2301xx prefecture, 230102 county — which gives a
 * working tree before the federation's division table is wired; createScopeFromTree() uses the
 * real tree (isWithin) when it is available, so non-standard units resolve correctly.
 */
export interface DivisionScope {
  /** True when `code` is `scopeCode` or lies below it. */
  isWithin(code: string, scopeCode: string): boolean
  /** Code prefixes that cover `scopeCode` and below, for SQL filters (`division_code like 'p%'`). */
  prefixesFor(scopeCode: string): string[]
  /** province | prefecture | county, from the code. */
  levelOf(code: string): DivisionLevel | undefined
}

export type DivisionLevel = 'province' | 'prefecture' | 'county'

export const DIVISION_CODE = /^\d{6}$/

export function levelByShape(code: string): DivisionLevel | undefined {
  if (!DIVISION_CODE.test(code)) return undefined
  if (code.endsWith('0000')) return 'province'
  if (code.endsWith('00')) return 'prefecture'
  return 'county'
}

export function prefixByShape(code: string): string {
  const level = levelByShape(code)
  if (level === 'province') return code.slice(0, 2)
  if (level === 'prefecture') return code.slice(0, 4)
  return code
}

export const shapeScope: DivisionScope = {
  isWithin: (code, scopeCode) => DIVISION_CODE.test(code) && DIVISION_CODE.test(scopeCode) && code.startsWith(prefixByShape(scopeCode)),
  prefixesFor: (scopeCode) => [prefixByShape(scopeCode)],
  levelOf: levelByShape,
}
