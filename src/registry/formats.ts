import { array, bytes, defineSchema, field, optional, text, uint } from '../codec/index.ts'
import {
  ATTESTATION_SERIAL_BYTES,
  MAX_ATTESTATION_BUNDLE_BYTES,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_REVOKED_SERIALS,
  MAX_ROOT_CHAIN,
  MAX_STATUS_RECORD_BYTES,
  REGISTRY_KID_BYTES
} from '../constants.ts'
import { PEER_ID_BYTES } from '../identity/index.ts'

/** The latest time a JavaScript Date can hold: later ones are refused when decoding. */
const time = () => uint(8_640_000_000_000_000)

/** Registry ids are 26 base32 characters (the first 16 bytes of SHA-256 of root version 1). */
export const REGISTRY_ID_PATTERN = /^[a-z2-7]{26}$/
const registryId = () => text(26, 26)
const kid = () => bytes({ len: REGISTRY_KID_BYTES })

/** A key the root metadata names. */
export const RegistryKey = defineSchema({
  name: 'registry-key',
  version: 1,
  maxBytes: 128,
  fields: {
    kid: field(1, kid()),
    publicKey: field(2, bytes({ len: 32 }))
  }
})

/** Which keys may act in a role, and how many must sign. */
export const Role = defineSchema({
  name: 'registry-role',
  version: 1,
  maxBytes: 512,
  fields: {
    kids: field(1, array(kid(), 16)),
    threshold: field(2, uint(16))
  }
})
export type Role = ReturnType<typeof Role.decode>

/** Root metadata (TUF-shaped): the registry's keys and their roles, versioned and expiring. */
export const RootMetadata = defineSchema({
  name: 'registry-root',
  version: 1,
  maxBytes: 4096,
  fields: {
    rootVersion: field(1, uint()),
    name: field(2, text(MAX_DISPLAY_NAME_LENGTH)),
    createdAt: field(3, time()),
    expiresAt: field(4, time()),
    keys: field(5, array(RegistryKey, 32)),
    root: field(6, Role),
    issuer: field(7, Role),
    status: field(8, Role)
  }
})
export type RootMetadata = ReturnType<typeof RootMetadata.decode>

/** A signature by one registry key. */
export const KeySignature = defineSchema({
  name: 'registry-signature',
  version: 1,
  maxBytes: 128,
  fields: {
    kid: field(1, kid()),
    signature: field(2, bytes({ len: 64 }))
  }
})
export type KeySignature = ReturnType<typeof KeySignature.decode>

/** Root metadata bytes with the signatures over PAE(parley/root/v1, bytes). */
export const SignedRoot = defineSchema({
  name: 'signed-root',
  version: 1,
  maxBytes: 8192,
  fields: {
    payload: field(1, bytes({ max: 4096 })),
    signatures: field(2, array(KeySignature, 32))
  }
})

/** Every root version from 1 to the latest, as distributed (root file, DHT record). */
export const RootChain = defineSchema({
  name: 'root-chain',
  version: 1,
  maxBytes: 64 * 1024,
  fields: {
    roots: field(1, array(bytes({ max: 8192 }), MAX_ROOT_CHAIN))
  }
})

/** What a registry states about a business. */
export const Attestation = defineSchema({
  name: 'attestation',
  version: 1,
  maxBytes: 2048,
  fields: {
    registryId: field(1, registryId()),
    rootVersion: field(2, uint()),
    issuerKid: field(3, kid()),
    subject: field(4, bytes({ len: PEER_ID_BYTES })),
    serial: field(5, bytes({ len: ATTESTATION_SERIAL_BYTES })),
    issuedAt: field(6, time()),
    notBefore: field(7, time()),
    expiresAt: field(8, time()),
    name: field(9, text(MAX_DISPLAY_NAME_LENGTH, 1)),
    skeleton: field(10, text(4 * MAX_DISPLAY_NAME_LENGTH)),
    domain: optional(11, text(253)),
    country: optional(12, text(2, 2)),
    category: optional(13, text(64)),
    /** Index of this attestation in the registry's log. */
    logIndex: optional(14, uint())
  }
})
export type Attestation = ReturnType<typeof Attestation.decode>

/** The attestation's exact bytes and the issuing key's signature: what a business holds and shows. */
export const AttestationBundle = defineSchema({
  name: 'attestation-bundle',
  version: 1,
  maxBytes: MAX_ATTESTATION_BUNDLE_BYTES,
  fields: {
    payload: field(1, bytes({ max: 2048 })),
    signature: field(2, KeySignature)
  }
})
export type AttestationBundle = ReturnType<typeof AttestationBundle.decode>

/** The revoked serials of a registry at one point in time. */
export const StatusList = defineSchema({
  name: 'status-list',
  version: 1,
  maxBytes: MAX_STATUS_RECORD_BYTES,
  fields: {
    registryId: field(1, registryId()),
    seq: field(2, uint()),
    issuedAt: field(3, time()),
    nextUpdate: field(4, time()),
    revoked: field(5, array(bytes({ len: ATTESTATION_SERIAL_BYTES }), MAX_REVOKED_SERIALS)),
    /** Log size when it was made: it covers every attestation with a smaller index. */
    logSize: optional(6, uint())
  }
})
export type StatusList = ReturnType<typeof StatusList.decode>

export const SignedStatus = defineSchema({
  name: 'signed-status',
  version: 1,
  maxBytes: MAX_STATUS_RECORD_BYTES,
  fields: {
    payload: field(1, bytes({ max: MAX_STATUS_RECORD_BYTES })),
    signature: field(2, KeySignature)
  }
})

/**
 * A status list with the root chain that proves its key: self-validating, so any DHT node can
 * check and relay it without trusting the registry (`/parley/status/<registryId>`).
 */
export const StatusRecord = defineSchema({
  name: 'status-record',
  version: 1,
  maxBytes: MAX_STATUS_RECORD_BYTES + 64 * 1024,
  fields: {
    chain: field(1, bytes({ max: 64 * 1024 })),
    status: field(2, bytes({ max: MAX_STATUS_RECORD_BYTES }))
  }
})
