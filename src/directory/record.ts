import { array, bytes, bytesEqual, defineSchema, field, optional, text, uint } from '../codec/index.ts'
import { MAX_DISPLAY_NAME_LENGTH, SIG_TYPE_PROFILE } from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { getEngine, signTyped, verifyTyped } from '../crypto/index.ts'
import { BadSignatureError, DecodeError, RecordRejectedError } from '../errors.ts'
import {
  type Identity,
  PEER_ID_BYTES,
  type PublicEncryptionKey,
  peerIdBytesFromPublicKey,
  peerIdFromBytes,
  publicKeyFromPeerIdBytes,
  verifySignedEncryptionKey
} from '../identity/index.ts'

/** Cap on a signed profile record: checked by every DHT server before decoding. */
export const MAX_PROFILE_RECORD_BYTES = 8 * 1024
/** Longest lifetime a profile may claim; longer ones are refused so a stolen record cannot live forever. */
export const MAX_PROFILE_TTL_MS = 7 * 24 * 60 * 60 * 1000
/** Default lifetime of a published profile. */
export const DEFAULT_PROFILE_TTL_MS = 24 * 60 * 60 * 1000
/** Clock skew tolerated on issued-at. */
export const PROFILE_CLOCK_SKEW_MS = 5 * 60 * 1000
export const MAX_PROFILE_ADDRESSES = 16
export const MAX_MAILBOXES = 8

/** What a node says about itself in the directory. */
export const ProfileRecord = defineSchema({
  name: 'profile',
  version: 1,
  maxBytes: MAX_PROFILE_RECORD_BYTES,
  fields: {
    peer: field(1, bytes({ len: PEER_ID_BYTES })),
    seq: field(2, uint()),
    issuedAt: field(3, uint(8_640_000_000_000_000)),
    expiresAt: field(4, uint(8_640_000_000_000_000)),
    /** SignedEncryptionKey bytes. */
    encryptionKey: field(5, bytes({ max: 512 })),
    addresses: field(6, array(text(256), MAX_PROFILE_ADDRESSES)),
    name: optional(7, text(MAX_DISPLAY_NAME_LENGTH)),
    /** PeerIds (multihash bytes) of always-on nodes that keep mail for this peer. */
    mailboxes: optional(8, array(bytes({ len: PEER_ID_BYTES }), MAX_MAILBOXES)),
    /** An attestation bundle from a registry (issue 4). */
    attestation: optional(9, bytes({ max: 4096 })),
    /** A self-declared business profile (hours, address…), shown without a badge. */
    business: optional(10, bytes({ max: 2048 }))
  }
})
export type ProfileRecord = ReturnType<typeof ProfileRecord.decode>

/** The profile's exact bytes and the identity key's signature over PAE(type, bytes). */
export const SignedProfile = defineSchema({
  name: 'signed-profile',
  version: 1,
  maxBytes: MAX_PROFILE_RECORD_BYTES,
  fields: {
    record: field(1, bytes({ max: MAX_PROFILE_RECORD_BYTES })),
    signature: field(2, bytes({ len: 64 }))
  }
})

/** A profile that passed every check. */
export interface VerifiedProfile {
  peerId: string
  publicKey: Uint8Array
  seq: number
  issuedAt: number
  expiresAt: number
  encryptionKey: PublicEncryptionKey
  addresses: string[]
  name?: string
  mailboxes: string[]
  attestation?: Uint8Array
  business?: Uint8Array
  /** The signed bytes, to cache or pass on. */
  bytes: Uint8Array
}

export interface ProfileContent {
  addresses: string[]
  name?: string
  mailboxes?: Uint8Array[]
  attestation?: Uint8Array
  business?: Uint8Array
}

/** Sign a profile record. */
export function createProfileRecord(
  identity: Pick<Identity, 'signer' | 'currentEncryptionKey'>,
  content: ProfileContent,
  meta: { seq: number; issuedAt: number; expiresAt: number }
): Uint8Array {
  const record = ProfileRecord.encode({
    peer: peerIdBytesFromPublicKey(identity.signer.publicKey),
    seq: meta.seq,
    issuedAt: meta.issuedAt,
    expiresAt: meta.expiresAt,
    encryptionKey: identity.currentEncryptionKey().signed,
    addresses: content.addresses.slice(0, MAX_PROFILE_ADDRESSES),
    ...(content.name !== undefined ? { name: content.name } : {}),
    ...(content.mailboxes !== undefined && content.mailboxes.length > 0 ? { mailboxes: content.mailboxes } : {}),
    ...(content.attestation !== undefined ? { attestation: content.attestation } : {}),
    ...(content.business !== undefined ? { business: content.business } : {})
  })
  const signature = signTyped(identity.signer, SIG_TYPE_PROFILE, record)
  return SignedProfile.encode({ record, signature })
}

/**
 * Check a signed profile completely: canonical encoding and size, owner (when `expectedPeer` is
 * given, the record must be that peer's), signature, lifetime, and its signed encryption key.
 * Throws RecordRejectedError with the reason.
 */
export function verifyProfileRecord(
  bytes: Uint8Array,
  options: { expectedPeer?: Uint8Array; now?: number; engine?: CryptoEngine } = {}
): VerifiedProfile {
  const engine = options.engine ?? getEngine()
  const now = options.now ?? Date.now()
  let record: ProfileRecord
  let signature: Uint8Array
  let recordBytes: Uint8Array
  try {
    const signed = SignedProfile.decode(bytes)
    recordBytes = signed.record
    signature = signed.signature
    record = ProfileRecord.decode(recordBytes)
  } catch (err) {
    throw new RecordRejectedError(`malformed profile record: ${(err as Error).message}`, 'malformed')
  }
  if (options.expectedPeer !== undefined && !bytesEqual(record.peer, options.expectedPeer)) {
    throw new RecordRejectedError('profile record is for another peer', 'wrong-owner')
  }
  const publicKey = publicKeyFromPeerIdBytes(record.peer)
  if (publicKey === undefined) throw new RecordRejectedError('profile owner is not an Ed25519 PeerId', 'wrong-owner')
  if (!verifyTyped(SIG_TYPE_PROFILE, recordBytes, signature, publicKey, engine)) {
    throw new RecordRejectedError('profile signature does not verify', 'bad-signature')
  }
  if (record.expiresAt <= now) throw new RecordRejectedError('profile record has expired', 'expired')
  if (record.expiresAt > now + MAX_PROFILE_TTL_MS + PROFILE_CLOCK_SKEW_MS) {
    throw new RecordRejectedError('profile record claims too long a lifetime', 'lifetime')
  }
  if (record.issuedAt > now + PROFILE_CLOCK_SKEW_MS || record.issuedAt >= record.expiresAt) {
    throw new RecordRejectedError('profile record is issued in the future', 'lifetime')
  }
  let encryptionKey: PublicEncryptionKey
  try {
    encryptionKey = verifySignedEncryptionKey(record.encryptionKey, publicKey, engine)
  } catch (err) {
    if (err instanceof BadSignatureError || err instanceof DecodeError) {
      throw new RecordRejectedError(`profile encryption key: ${err.message}`, 'bad-encryption-key')
    }
    throw err
  }
  return {
    peerId: peerIdFromBytes(record.peer),
    publicKey,
    seq: record.seq,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    encryptionKey,
    addresses: record.addresses,
    ...(record.name !== undefined ? { name: record.name } : {}),
    mailboxes: (record.mailboxes ?? []).map((m) => peerIdFromBytes(m)),
    ...(record.attestation !== undefined ? { attestation: record.attestation } : {}),
    ...(record.business !== undefined ? { business: record.business } : {}),
    bytes
  }
}

/** Seq and expiry of a signed profile without verifying it (for comparisons of already-verified records). */
export function peekProfileOrder(bytes: Uint8Array): { seq: number; expiresAt: number } | undefined {
  try {
    const r = ProfileRecord.decode(SignedProfile.decode(bytes).record)
    return { seq: r.seq, expiresAt: r.expiresAt }
  } catch {
    return undefined
  }
}
