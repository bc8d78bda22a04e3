import pino, { type Logger } from 'pino'

/**
 * JSON logs. Field names that could carry credentials or personal data are redacted as a
 * second line of defence; the first is never passing them to the logger.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'onedoor' },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'code', '*.code', 'client_secret', '*.client_secret', 'idNumber', '*.idNumber', 'authorization', '*.authorization', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  })
}
