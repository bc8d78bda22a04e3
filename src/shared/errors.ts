/**
 * A domain error: a stable code for programs, an HTTP status, and a message safe to show.
 * Protocol errors at OIDC endpoints use oidc-provider's own error classes instead.
 */
export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly expose: boolean
  readonly details?: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = options.status ?? 400
    this.expose = this.status < 500
    this.details = options.details
  }
}

/** Declares a domain's error codes once; throw sites then read `AccountError.NOT_FOUND()`. */
export function defineErrors<const P extends string, const T extends Record<string, readonly [status: number, message: string]>>(
  prefix: P,
  table: T,
) {
  const out = {} as { [K in keyof T & string]: (details?: Record<string, unknown>, cause?: unknown) => AppError }
  for (const [key, [status, message]] of Object.entries(table)) {
    out[key as keyof T & string] = (details, cause) => new AppError(`${prefix}_${key}`, message, { status, details, cause })
  }
  return out
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}
