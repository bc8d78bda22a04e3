/* Request input through the zod schemas; a failure is a 400 ADMIN_INVALID_INPUT naming the fields, never echoing values. */
import type * as z from 'zod'
import { AppError } from '../shared/errors.js'

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input ?? {})
  if (parsed.success) return parsed.data
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))]
  throw new AppError('ADMIN_INVALID_INPUT', `The request is not valid: ${fields.join(', ')}.`, { status: 400, details: { fields } })
}
