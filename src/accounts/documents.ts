/*
 * Identity documents a natural person may register with. The resident ID card and the three
 * GB 11643-format cards (HK/Macao and Taiwan residence permits, the 2023 foreign permanent
 * residence ID) share one number space: they are validated with the same check character and
 * looked up through the same blind index, so any of them signs in like an ID number.
 * Passports and the 2017-format foreign permanent residence card are indexed separately.
 */
import { parseIdNumber } from './id-number.js'

export const DOCUMENT_TYPES = [
  'resident_id',
  'hk_macao_residence_permit',
  'taiwan_residence_permit',
  'foreign_permanent_residence_id',
  'passport',
] as const

export type DocumentType = (typeof DOCUMENT_TYPES)[number]

export function isDocumentType(value: string): value is DocumentType {
  return (DOCUMENT_TYPES as readonly string[]).includes(value)
}

export interface ParsedDocument {
  type: DocumentType
  /** Normalised number as stored (sealed); for passports `CCC:NUMBER`. */
  number: string
  /** Blind-index purpose: GB 11643-format numbers share 'id-number'. */
  indexPurpose: string
}

export type DocumentProblem = 'format' | 'birth_date' | 'checksum' | 'area' | 'country'

/** Validates a document number for its type; `country` is the ISO 3166-1 alpha-3 code for passports. */
export function parseDocument(type: DocumentType, input: string, country = ''): { ok: true; value: ParsedDocument } | { ok: false; problem: DocumentProblem } {
  const raw = (input ?? '').trim().toUpperCase().replace(/\s+/g, '')
  switch (type) {
    case 'resident_id':
      return gb11643(type, raw, (area) => !/^(8[123]|9)/.test(area))
    case 'hk_macao_residence_permit':
      return gb11643(type, raw, (area) => area === '810000' || area === '820000')
    case 'taiwan_residence_permit':
      return gb11643(type, raw, (area) => area === '830000')
    case 'foreign_permanent_residence_id':
      // 2023 format: 18 characters starting with 9, GB 11643 check; 2017 format: 3 letters + 12 digits.
      if (/^[A-Z]{3}\d{12}$/.test(raw)) return { ok: true, value: { type, number: raw, indexPurpose: 'document:foreign-pr-2017' } }
      return gb11643(type, raw, (area) => area.startsWith('9'))
    case 'passport': {
      const nation = (country ?? '').trim().toUpperCase()
      if (!/^[A-Z]{3}$/.test(nation)) return { ok: false, problem: 'country' }
      if (!/^[A-Z0-9]{5,17}$/.test(raw)) return { ok: false, problem: 'format' }
      return { ok: true, value: { type, number: `${nation}:${raw}`, indexPurpose: 'document:passport' } }
    }
  }
}

function gb11643(type: DocumentType, raw: string, areaAllowed: (area: string) => boolean): { ok: true; value: ParsedDocument } | { ok: false; problem: DocumentProblem } {
  // The foreign permanent residence ID starts with 9, which parseIdNumber's shape allows.
  const parsed = parseIdNumber(raw)
  if (!parsed.ok) return parsed
  if (!areaAllowed(parsed.value.slice(0, 6))) return { ok: false, problem: 'area' }
  return { ok: true, value: { type, number: parsed.value, indexPurpose: 'id-number' } }
}

/** Masks any document number: first four and last four characters (passport country kept). */
export function maskDocument(number: string): string {
  const bare = number.includes(':') ? number.slice(number.indexOf(':') + 1) : number
  const prefix = number.includes(':') ? number.slice(0, number.indexOf(':') + 1) : ''
  if (bare.length <= 8) return `${prefix}${bare.slice(0, 2)}${'*'.repeat(Math.max(bare.length - 4, 0))}${bare.slice(-2)}`
  return `${prefix}${bare.slice(0, 4)}${'*'.repeat(bare.length - 8)}${bare.slice(-4)}`
}
