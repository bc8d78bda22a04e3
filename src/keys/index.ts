export { createKeySet, type KeySet, type Jwk, type RotationResult } from './key-set.js'
