export { createKeySet, type KeySet, type Jwk } from './key-set.js'
