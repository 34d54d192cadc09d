import { SAFETY_NUMBER_ITERATIONS } from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { concat, getEngine } from '../crypto/index.ts'
import { peerIdFromPublicKey } from './peer-id.ts'

const encoder = new TextEncoder()
/** Version of the fingerprint construction, hashed in first (as Signal's NumericFingerprint does). */
const FINGERPRINT_VERSION = Uint8Array.from([0, 0])

/**
 * 30 digits for one party: Signal's numeric fingerprint. SHA-512 iterated 5200 times,
 * starting from (version || key || stable id) and hashing in the key each round, then five-byte chunks of the digest read as numbers mod 100000.
 */
export function displayableFingerprint(publicKey: Uint8Array, engine: CryptoEngine = getEngine()): string {
  const id = encoder.encode(peerIdFromPublicKey(publicKey))
  let hash = concat(FINGERPRINT_VERSION, publicKey, id)
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) hash = engine.sha512(concat(hash, publicKey))
  let out = ''
  for (let chunk = 0; chunk < 6; chunk++) {
    let n = 0
    for (let j = 0; j < 5; j++) n = n * 256 + hash[chunk * 5 + j]!
    out += String(n % 100000).padStart(5, '0')
  }
  return out
}

/**
 * The 60-digit safety number of two identity keys: both 30-digit fingerprints, the smaller
 * first, so (A, B) and (B, A) give the same number and changing either key changes it.
 */
export function safetyNumber(a: Uint8Array, b: Uint8Array, engine: CryptoEngine = getEngine()): string {
  const fa = displayableFingerprint(a, engine)
  const fb = displayableFingerprint(b, engine)
  return fa < fb ? fa + fb : fb + fa
}

/** Group 60 digits as twelve blocks of five, the way people read them out. */
export function formatSafetyNumber(digits: string): string {
  return (digits.match(/.{1,5}/g) ?? []).join(' ')
}
