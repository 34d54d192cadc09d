/**
 * Checks on everything that enters the store. The store is the last line: the envelope layer and the
 * API check first, but a value that reaches SQLite unchecked could grow the file without bound or
 * break an invariant the rest of the node relies on, so every field is checked here again.
 */
import {
  DEFAULT_STORE_LIST_LIMIT,
  MAX_STORE_BATCH,
  MAX_STORE_LIST_LIMIT,
  MAX_STORED_ERROR_LENGTH,
  MAX_STORED_META_BYTES,
  MESSAGE_ID_BYTES
} from '../constants.ts'
import { InvalidPeerIdError, OversizedError, StoreInputError } from '../errors.ts'
import { isPeerId } from '../identity/index.ts'
import type { MessageIdInput } from './types.ts'

const HEX_ID = /^[0-9a-f]+$/

/** The message id as 32 lowercase hex characters (the primary key of `messages`). */
export function messageIdHex(id: MessageIdInput): string {
  if (id instanceof Uint8Array) {
    if (id.byteLength !== MESSAGE_ID_BYTES) throw new StoreInputError(`a message id is ${MESSAGE_ID_BYTES} bytes`, 'id')
    return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
  }
  if (typeof id === 'string' && id.length === MESSAGE_ID_BYTES * 2) {
    const lower = id.toLowerCase()
    if (HEX_ID.test(lower)) return lower
  }
  throw new StoreInputError(`a message id is ${MESSAGE_ID_BYTES * 2} hex characters`, 'id')
}

/** PeerIds already checked: a node talks to few peers, and decoding base58 costs about 5 µs each time. */
const knownPeerIds = new Set<string>()
const KNOWN_PEER_IDS_MAX = 4096

/** A PeerId string (Ed25519, `12D3KooW…`). */
export function checkPeerId(value: unknown, field: string): string {
  if (typeof value === 'string' && knownPeerIds.has(value)) return value
  if (!isPeerId(value)) throw new InvalidPeerIdError(`${field} is not a PeerId`, field)
  if (knownPeerIds.size >= KNOWN_PEER_IDS_MAX) knownPeerIds.clear()
  knownPeerIds.add(value)
  return value
}

/** A time in whole ms since the epoch. */
export function checkTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StoreInputError(`${field} must be a time in whole milliseconds`, field)
  }
  return value
}

/** A non-negative safe integer (content types, sequence numbers). */
export function checkUint(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new StoreInputError(`${field} must be a whole number from 0 to ${max}`, field)
  }
  return value
}

export function checkBytes(value: unknown, field: string, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreInputError(`${field} must be bytes`, field)
  if (value.byteLength > maxBytes) {
    throw new OversizedError(`${field} is ${value.byteLength} bytes, more than the ${maxBytes}-byte cap`, field)
  }
  return value
}

/** A well-formed string of at most `maxBytes` UTF-8 bytes (lone surrogates would not round-trip). */
export function checkString(value: unknown, field: string, maxBytes: number): string {
  if (typeof value !== 'string' || !value.isWellFormed()) {
    throw new StoreInputError(`${field} must be a well-formed string`, field)
  }
  // a UTF-16 code unit is at most 3 UTF-8 bytes: skip the byte count for short strings
  if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw new OversizedError(`${field} is longer than the ${maxBytes}-byte cap`, field)
  }
  return value
}

/** An error reason: any string, truncated to the cap (reasons come from our own code and peers' refusals). */
export function errorReason(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  const clean = text.toWellFormed().trim() || 'unknown error'
  return clean.length > MAX_STORED_ERROR_LENGTH ? `${clean.slice(0, MAX_STORED_ERROR_LENGTH - 1)}…` : clean
}

/** The JSON text of a `meta` object, or null. */
export function metaJson(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw new StoreInputError('meta must be an object', 'meta')
  let json: string
  try {
    json = JSON.stringify(value)
  } catch {
    throw new StoreInputError('meta must be JSON', 'meta')
  }
  return checkString(json, 'meta', MAX_STORED_META_BYTES)
}

/** A list limit: the default when absent, capped at the maximum. */
export function listLimit(value: unknown, fallback = DEFAULT_STORE_LIST_LIMIT, max = MAX_STORE_LIST_LIMIT): number {
  if (value === undefined) return Math.min(fallback, max)
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new StoreInputError('limit must be a whole number of at least 1', 'limit')
  }
  return Math.min(value, max)
}

/** A batch: an array of 0 to MAX_STORE_BATCH items. */
export function checkBatch<T>(value: unknown, field: string): readonly T[] {
  if (!Array.isArray(value)) throw new StoreInputError(`${field} must be an array`, field)
  if (value.length > MAX_STORE_BATCH) {
    throw new OversizedError(`${field} holds ${value.length} items, more than ${MAX_STORE_BATCH}`, field)
  }
  return value as T[]
}
