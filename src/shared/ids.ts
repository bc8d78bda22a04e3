import { customAlphabet } from 'nanoid'

/** Opaque, URL-safe identifiers for rows that leave the process (account ids, client ids). */
export const newId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 24)
