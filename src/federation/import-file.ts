/*
 * Reads an account import file: CSV with a header row, or JSON lines (one object per line).
 * Records stream, so the file size is not bounded by memory; line numbers are kept for the report.
 */
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parse } from 'csv-parse'
import { FederationError } from './errors.js'
import type { ImportRecord } from './import-accounts.js'

export type ImportFileFormat = 'csv' | 'jsonl'

export function importFileFormat(file: string, explicit?: string): ImportFileFormat {
  const format = explicit ?? (/\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined)
  if (format === 'csv' || format === 'jsonl') return format
  throw FederationError.IMPORT_FILE_INVALID({ problem: 'cannot tell the format from the file name; give --format csv or --format jsonl' })
}

/** Number of records, for a progress bar (lines minus a CSV header and blank lines). */
export async function countRecords(file: string, format: ImportFileFormat): Promise<number> {
  const text = await readFile(file, 'utf8')
  const lines = text.split('\n').filter((l) => l.trim() !== '').length
  return format === 'csv' ? Math.max(0, lines - 1) : lines
}

export async function* readImportFile(file: string, format: ImportFileFormat): AsyncGenerator<ImportRecord> {
  if (format === 'csv') {
    const parser = createReadStream(file).pipe(parse({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true, info: true }))
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        yield { line: info.lines, fields: record }
      }
    } catch (err) {
      throw FederationError.IMPORT_FILE_INVALID({ problem: (err as Error).message }, err)
    }
    return
  }
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  let line = 0
  for await (const text of lines) {
    line += 1
    if (text.trim() === '') continue
    let fields: unknown
    try {
      fields = JSON.parse(text)
    } catch {
      fields = undefined
    }
    // A bad line is a rejected record (reported), not the end of the import.
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) yield { line, fields: fields as Record<string, unknown> }
    else yield { line, fields: {}, problem: 'not a JSON object' }
  }
}
