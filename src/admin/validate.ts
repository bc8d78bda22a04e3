/*
 * Request input through the zod schemas; a failure is a 400 ADMIN_INVALID_INPUT naming the fields,
 * never echoing values. `details.problems` says per field what is wrong (required, too short,
 * too long, invalid), so the console can put a message beside each field.
 */
import type * as z from 'zod'
import { AppError } from '../shared/errors.js'
import { isStorableKey } from '../store/errors.js'

export type FieldProblem = 'required' | 'too_short' | 'too_long' | 'invalid'

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input ?? {})
  const problems: Record<string, FieldProblem> = {}
  if (parsed.success) {
    // No field of a government record holds a NUL character, and PostgreSQL's text cannot: refused
    // here, the same on both databases, instead of failing in (or being stored by) the database.
    for (const [field, value] of Object.entries(parsed.data as object)) if (holdsNul(value)) problems[field] = 'invalid'
    if (Object.keys(problems).length === 0) return parsed.data
  } else {
    for (const issue of parsed.error.issues) {
      const field = issue.path.length > 0 ? String(issue.path[0]) : '(body)'
      problems[field] ??= problemOf(issue, input)
    }
  }
  const fields = Object.keys(problems)
  throw new AppError('ADMIN_INVALID_INPUT', `The request is not valid: ${fields.join(', ')}.`, { status: 400, details: { fields, problems } })
}

function problemOf(issue: z.core.$ZodIssue, input: unknown): FieldProblem {
  const value = issue.path.length > 0 && input && typeof input === 'object' ? (input as Record<string, unknown>)[String(issue.path[0])] : undefined
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return 'required'
  if (issue.code === 'too_big') return 'too_long'
  if (issue.code === 'too_small') return 'too_short'
  return 'invalid'
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return !isStorableKey(value)
  if (Array.isArray(value)) return value.some(holdsNul)
  if (value && typeof value === 'object') return Object.values(value).some(holdsNul)
  return false
}
