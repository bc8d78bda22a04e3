import { defineErrors } from '../shared/errors.js'

export const FederationError = defineErrors('FEDERATION', {
  DIVISION_UNKNOWN: [400, 'The division code is not a Heilongjiang administrative division.'],
  MANIFEST_INVALID: [400, 'The federation manifest has problems; nothing was applied.'],
  CLIENT_ID_TAKEN: [409, 'The client id is already registered.'],
  SYSTEM_UNKNOWN: [400, 'The source system is not a registered service system.'],
  IMPORT_FILE_INVALID: [400, 'The import file cannot be read.'],
})
