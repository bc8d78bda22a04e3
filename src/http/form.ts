import type { Context } from 'koa'

/** The parsed urlencoded body, or an empty one when the body parser did not run or found nothing. */
function formBody(ctx: Context): Record<string, unknown> {
  return (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}
}

/**
 * One form field as a string: '' when missing or not a string (a repeated field arrives as an
 * array). `maxLength` caps what a route will look at, so an oversized value cannot reach hashing
 * or the database.
 */
export function formField(ctx: Context, name: string, maxLength?: number): string {
  const value = formBody(ctx)[name]
  if (typeof value !== 'string') return ''
  return maxLength === undefined ? value : value.slice(0, maxLength)
}

/** Several form fields at once, each read as `formField` reads it. */
export function formFields<const K extends string>(ctx: Context, names: readonly K[], maxLength?: number): Record<K, string> {
  const out = {} as Record<K, string>
  for (const name of names) out[name] = formField(ctx, name, maxLength)
  return out
}
