/**
 * Crypto primitives behind one interface with two engines: OpenSSL through node:crypto (the hot
 * path on Node) and noble (pure JS reference and portable path). Pure: no disk, no sockets.
 */
import { pae } from '../codec/index.ts'
import type { CryptoEngine, Signer } from './engine.ts'
import { nodeEngine } from './node.ts'

export type { CryptoEngine, Signer, X25519Key } from './engine.ts'
export { concat, nobleEngine } from './noble.ts'
export { AEAD_NODE_THRESHOLD, nodeEngine } from './node.ts'
export { isAcceptablePointEncoding, isCanonicalX25519PublicKey, passesEd25519Policy } from './policy.ts'

let defaultEngine: CryptoEngine | undefined

/** The engine used when none is passed: node:crypto on Node. */
export function getEngine(): CryptoEngine {
  defaultEngine ??= nodeEngine()
  return defaultEngine
}

/** Sign PAE(type, payload): the only way Parley signs anything. */
export function signTyped(signer: Signer, type: string, payload: Uint8Array): Uint8Array {
  return signer.sign(pae(type, payload))
}

/** Verify a signature over PAE(type, payload) under the strict policy. */
export function verifyTyped(
  type: string,
  payload: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  engine: CryptoEngine = getEngine()
): boolean {
  return engine.verify(signature, pae(type, payload), publicKey)
}

/** Constant-time equality for secrets (tokens, MACs); false when lengths differ. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
