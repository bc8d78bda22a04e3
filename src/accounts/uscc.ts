/*
 * Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
 * alphabet (no I, O, S, V, Z). Position 1 is the registration authority, 2 the organisation type,
 * 3-8 the division code, 9-17 the organisation code (GB 11714, with its own check character at 17),
 * 18 the check character: weights 3^(i-1) mod 31, check = (31 - sum mod 31) mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = Array.from({ length: 17 }, (_, i) => 3 ** i % 31)
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const

export type UsccProblem = 'format' | 'org_code_checksum' | 'checksum' | 'unknown_type'

/** Kinds of legal person, from the registration authority and type characters (GB 32100 Table 1 and 2). */
export type EnterpriseKind =
  | 'government_agency'
  | 'public_institution'
  | 'social_organisation'
  | 'private_non_enterprise'
  | 'foundation'
  | 'enterprise'
  | 'individual_business'
  | 'farmer_cooperative'
  | 'rural_collective'
  | 'law_firm'
  | 'trade_union'
  | 'religious_organisation'
  | 'other'

const KINDS: Record<string, EnterpriseKind> = {
  '11': 'government_agency',
  '12': 'public_institution',
  '13': 'social_organisation',
  '19': 'other',
  '21': 'other',
  '29': 'other',
  '31': 'law_firm',
  '32': 'other',
  '33': 'other',
  '34': 'other',
  '35': 'other',
  '39': 'other',
  '41': 'other',
  '49': 'other',
  '51': 'social_organisation',
  '52': 'private_non_enterprise',
  '53': 'foundation',
  '59': 'other',
  '61': 'other',
  '62': 'other',
  '69': 'other',
  '71': 'religious_organisation',
  '72': 'religious_organisation',
  '79': 'other',
  '81': 'trade_union',
  '89': 'other',
  '91': 'enterprise',
  '92': 'individual_business',
  '93': 'farmer_cooperative',
  'A1': 'other',
  'A9': 'other',
  'N1': 'rural_collective',
  'N2': 'farmer_cooperative',
  'N3': 'other',
  'N9': 'other',
  'Y1': 'other',
}

/** The USCC check character for the first 17 characters (which must be in the alphabet). */
export function usccCheckChar(first17: string): string {
  let sum = 0
  for (let i = 0; i < 17; i += 1) sum += ALPHABET.indexOf(first17[i]) * USCC_WEIGHTS[i]
  return ALPHABET[(31 - (sum % 31)) % 31]
}

/** The GB 11714 check character (0-9 or X) for an 8-character organisation code body. */
export function orgCodeCheckChar(body8: string): string {
  let sum = 0
  for (let i = 0; i < 8; i += 1) sum += orgCodeValue(body8[i]) * ORG_CODE_WEIGHTS[i]
  const check = 11 - (sum % 11)
  return check === 10 ? 'X' : check === 11 ? '0' : String(check)
}

function orgCodeValue(ch: string): number {
  return /\d/.test(ch) ? Number(ch) : ch.charCodeAt(0) - 55 // A=10 … Z=35
}

/** Normalises (trim, uppercase) and validates; returns the code and its kind, or the problem. */
export function parseUscc(input: string): { ok: true; value: string; kind: EnterpriseKind } | { ok: false; problem: UsccProblem } {
  const value = (input ?? '').trim().toUpperCase()
  if (!/^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{8}[0-9X][0-9A-HJ-NP-RTUW-Y]$/.test(value)) return { ok: false, problem: 'format' }
  if (orgCodeCheckChar(value.slice(8, 16)) !== value[16]) return { ok: false, problem: 'org_code_checksum' }
  if (usccCheckChar(value.slice(0, 17)) !== value[17]) return { ok: false, problem: 'checksum' }
  const kind = KINDS[value.slice(0, 2)]
  if (!kind) return { ok: false, problem: 'unknown_type' }
  return { ok: true, value, kind }
}
