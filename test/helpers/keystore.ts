/**
 * Rewrite key-file bytes behind the keystore's back, with a valid checksum, to reach the checks
 * that come after it (the checksum is SHA-256 of the file with a zeroed checksum field, key 8).
 */
import { createHash } from 'node:crypto'
import { decodeCanonical, encodeCanonical } from '../../src/codec/index.ts'

const KEY_DATA = 7
const KEY_CHECKSUM = 8

export function withChecksum(file: Map<number, unknown>): Uint8Array {
  file.set(KEY_CHECKSUM, new Uint8Array(32))
  file.set(KEY_CHECKSUM, new Uint8Array(createHash('sha256').update(encodeCanonical(file)).digest()))
  return encodeCanonical(file)
}

export function readKeyFile(bytes: Uint8Array): Map<number, unknown> {
  return decodeCanonical(bytes, 1 << 20) as Map<number, unknown>
}

/** Set (or, with undefined, delete) key-file fields and fix the checksum. */
export function patchKeyFile(bytes: Uint8Array, changes: Record<number, unknown>): Uint8Array {
  const file = readKeyFile(bytes)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) file.delete(Number(k))
    else file.set(Number(k), v)
  }
  return withChecksum(file)
}

/** Replace the plain ('none') secrets with other bytes and fix the checksum. */
export function replaceSecrets(bytes: Uint8Array, secrets: Uint8Array): Uint8Array {
  return patchKeyFile(bytes, { [KEY_DATA]: secrets })
}

/** The plain secrets map of a 'none' key file: {0:1, 1:seed, 2:publicKey, 3:[{0:1,1:priv,2:createdAt,3?:retiredAt}]}. */
export function readSecrets(bytes: Uint8Array): Map<number, unknown> {
  return decodeCanonical(readKeyFile(bytes).get(KEY_DATA) as Uint8Array, 1 << 20) as Map<number, unknown>
}
