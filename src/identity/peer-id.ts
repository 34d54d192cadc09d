import { base58btc } from 'multiformats/bases/base58'
import { InvalidPeerIdError } from '../errors.ts'

/**
 * PeerIds of Ed25519 keys are identity multihashes of the protobuf-wrapped public key:
 * 0x00 (identity) 0x24 (36 bytes) 0x08 0x01 (KeyType Ed25519) 0x12 0x20 (32-byte Data) + key.
 * Done by hand here so the pure layers need no libp2p runtime; tests check it against @libp2p/peer-id.
 */
const PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
export const PEER_ID_BYTES = PREFIX.byteLength + 32
/** Longest PeerId string we look at before refusing (base58 of 38 bytes is 52 characters). */
const MAX_PEER_ID_LENGTH = 64

/** The 38-byte multihash of an Ed25519 public key. */
export function peerIdBytesFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.byteLength !== 32) throw new InvalidPeerIdError('an Ed25519 public key is 32 bytes')
  const out = new Uint8Array(PEER_ID_BYTES)
  out.set(PREFIX)
  out.set(publicKey, PREFIX.byteLength)
  return out
}

/** The Ed25519 public key inside a PeerId multihash, or undefined if it is not an Ed25519 PeerId. */
export function publicKeyFromPeerIdBytes(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.byteLength !== PEER_ID_BYTES) return undefined
  for (let i = 0; i < PREFIX.byteLength; i++) if (bytes[i] !== PREFIX[i]) return undefined
  return bytes.slice(PREFIX.byteLength)
}

/** The PeerId string ("12D3KooW...") of an Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  return base58btc.baseEncode(peerIdBytesFromPublicKey(publicKey))
}

/** The PeerId string of a multihash (throws InvalidPeerIdError if it is not an Ed25519 PeerId). */
export function peerIdFromBytes(bytes: Uint8Array): string {
  if (publicKeyFromPeerIdBytes(bytes) === undefined) throw new InvalidPeerIdError('not an Ed25519 PeerId')
  return base58btc.baseEncode(bytes)
}

/** Parse a PeerId string; throws InvalidPeerIdError unless it is an Ed25519 PeerId. */
export function peerIdToBytes(peerId: string): Uint8Array {
  if (typeof peerId !== 'string' || peerId.length === 0 || peerId.length > MAX_PEER_ID_LENGTH) {
    throw new InvalidPeerIdError('not a PeerId')
  }
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    throw new InvalidPeerIdError(`not a PeerId: ${JSON.stringify(peerId.slice(0, MAX_PEER_ID_LENGTH))}`)
  }
  if (publicKeyFromPeerIdBytes(bytes) === undefined) {
    throw new InvalidPeerIdError('not an Ed25519 PeerId (Parley PeerIds start with 12D3KooW)')
  }
  return bytes
}

/** The Ed25519 public key a PeerId string carries; throws InvalidPeerIdError. */
export function publicKeyFromPeerId(peerId: string): Uint8Array {
  return publicKeyFromPeerIdBytes(peerIdToBytes(peerId))!
}

/** True if the string is an Ed25519 PeerId. */
export function isPeerId(value: unknown): value is string {
  try {
    peerIdToBytes(value as string)
    return true
  } catch {
    return false
  }
}
