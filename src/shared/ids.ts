import { customAlphabet } from 'nanoid'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/** Opaque, URL-safe identifiers for rows that leave the process (account ids, client ids). */
export const newId = customAlphabet(ALPHABET, 24)

const randomTail = customAlphabet(ALPHABET, 15)

/**
 * Same shape as `newId` (24 characters of [0-9a-z]) but ordered by time: the first 9 characters
 * are the millisecond timestamp in base 36. For append-heavy tables (the audit trail), a unique
 * index on a random id took one random index page per insert, and on SQLite every page a commit
 * touches is written to the WAL again; time-ordered ids land on the index's last pages instead.
 */
export function newTimeOrderedId(at: number = Date.now()): string {
  return timePrefix(at) + randomTail()
}

/**
 * The millisecond time as 9 characters of [0-9a-z] that sort (bytewise, as SQLite and a C or
 * UTF-8 collation compare them) in time order; 9 characters last until the year 5188.
 */
export function timePrefix(at: number = Date.now()): string {
  return Math.max(0, Math.floor(at)).toString(36).padStart(9, '0').slice(-9)
}
