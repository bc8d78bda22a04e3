import type { FindAccount } from 'oidc-provider'
import type { Persons } from '../accounts/index.js'

/** Claims for a person; which of them reach a client is decided by the granted scopes. */
export function createFindAccount(persons: Persons): FindAccount {
  return async (_ctx, sub, token) => {
    const person = await persons.findPerson(sub, token)
    if (!person) return undefined
    return {
      accountId: person.id,
      async claims() {
        return {
          sub: person.id,
          name: person.name,
          phone_number: `+86${person.phone}`,
          // Issue 3: true once the phone was proven by an SMS code (self-registration).
          phone_number_verified: person.phoneVerified,
        }
      },
    }
  }
}
