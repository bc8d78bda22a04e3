/* CSV export of audit records (RFC 4180 quoting; cells that a spreadsheet would run as a formula are defused). */
import type { AuditRecord } from './events.js'

export const CSV_COLUMNS = ['seq', 'at', 'type', 'actor_type', 'actor_id', 'client_id', 'ip', 'division_code', 'target_type', 'target_id', 'result', 'error_code', 'details', 'hash'] as const

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`
}

export function csvLine(r: AuditRecord): string {
  const cells = [r.seq, new Date(r.at).toISOString(), r.type, r.actorType, r.actorId, r.clientId, r.ip, r.divisionCode, r.targetType, r.targetId, r.result, r.errorCode, r.details, r.hash]
  return `${cells.map(cell).join(',')}\r\n`
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
