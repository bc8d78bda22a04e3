/*
 * Console forms: when a POST is refused for its input (400, or 404/409 for a lookup or a
 * duplicate), the page that holds the form is shown again with what was typed kept and a message
 * beside each field at fault, in the page's language, instead of a bare error page. Secrets and
 * identifiers typed into a form (passwords, ID numbers, phones) are never echoed back in clear.
 */
import { isAppError, type AppError } from '../shared/errors.js'

export interface FormState {
  /** Which form on the page was submitted (a page may hold several). */
  id: string
  values: Record<string, string>
  /** Field name → message; `_form` for a message about the form as a whole. */
  errors: Record<string, string>
}

/** Statuses that mean "fix the form and send it again"; anything else is an error page. */
const FORM_STATUSES = new Set([400, 404, 409])

/** Fields never written back into a page. */
const NOT_ECHOED = new Set(['csrf', 'current', 'password', 'confirm', 'login'])

/** Domain errors that concern one field (the rest are shown above the form). */
const FIELD_OF_CODE: Record<string, string> = {
  ADMIN_LOGIN_UNKNOWN: 'login',
  ADMIN_DIVISION_UNKNOWN: 'divisionCode',
  ADMIN_ROLE_DIVISION_MISMATCH: 'role',
  ADMIN_CLIENT_METADATA_INVALID: 'redirectUris',
}

export function isFormError(err: unknown): err is AppError {
  return isAppError(err) && FORM_STATUSES.has(err.status)
}

/**
 * The state to re-display `formId` with. `t` is the page's translator; `mask` rewrites a kept
 * value that must not appear in clear (the person search echoes its term masked).
 */
export function formStateOf(formId: string, body: Record<string, unknown>, err: AppError, t: (key: string, options?: Record<string, unknown>) => string, mask: (field: string, value: string) => string = (_f, v) => v): FormState {
  const values: Record<string, string> = {}
  for (const [field, value] of Object.entries(body)) {
    if (typeof value === 'string' && !NOT_ECHOED.has(field)) values[field] = mask(field, value)
  }
  return { id: formId, values, errors: messagesOf(err, t) }
}

function messagesOf(err: AppError, t: (key: string, options?: Record<string, unknown>) => string): Record<string, string> {
  const problems = err.details?.problems as Record<string, string> | undefined
  if (err.code === 'ADMIN_INVALID_INPUT' && problems) {
    const errors: Record<string, string> = {}
    for (const [field, problem] of Object.entries(problems)) {
      errors[field === '(body)' ? '_form' : field] = t(`admin.formErrors.${field}.${problem}`, { defaultValue: t(`admin.formErrors.${problem}`) })
    }
    return errors
  }
  const message = t(`error.codes.${err.code}`, { defaultValue: t(`identity.errors.${err.code}`, { defaultValue: err.message }) })
  const field = typeof err.details?.field === 'string' ? err.details.field : (FIELD_OF_CODE[err.code] ?? (err.code.startsWith('ACCOUNT_PASSWORD') ? 'password' : '_form'))
  return { [field]: message }
}

/** What the templates call: the kept value of a field, its message, and the attributes that tie them together. */
export function formHelpers(state: FormState | undefined) {
  const mine = (formId: string) => (state?.id === formId ? state : undefined)
  return {
    value: (formId: string, field: string, fallback = ''): string => mine(formId)?.values[field] ?? fallback,
    fieldError: (formId: string, field: string): string | undefined => mine(formId)?.errors[field],
    /**
     * The field's aria attributes: aria-invalid and the message's id when at fault, plus `hintId`
     * (a hint paragraph) in aria-describedby. Ids come from the template's own literals.
     */
    invalid: (formId: string, field: string, hintId?: string): string => {
      const described = [hintId, mine(formId)?.errors[field] ? `${formId}-${field}-error` : undefined].filter(Boolean).join(' ')
      return `${mine(formId)?.errors[field] ? ' aria-invalid="true"' : ''}${described ? ` aria-describedby="${described}"` : ''}`
    },
    /** The message about the form as a whole, if any. */
    formError: (formId: string): string | undefined => mine(formId)?.errors._form,
  }
}
