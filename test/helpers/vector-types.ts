/** Shapes of the JSON files in test/vectors/ (written by scripts/make-vectors.ts). All bytes are hex. */
import type { Json } from './json.ts'

export interface CodecVectors {
  description: string
  /** A schema value (bytes as {"$hex"}) and its one canonical encoding. */
  schemas: { schema: string; name: string; value: Json; hex: string }[]
  /** Encodings every strict decoder of that schema must refuse. */
  invalid: { schema: string; why: string; hex: string }[]
  /** Plain canonical CBOR of generic values (maps with integer keys, integers at width boundaries). */
  canonical: { name: string; value: Json; hex: string }[]
}

export interface PaeVectors {
  description: string
  vectors: { name: string; type: string; payloadHex: string; paeHex: string }[]
}

export interface EnvelopeVector {
  name: string
  senderSeed: string
  recipientSeed: string
  recipientEncryptionPrivateKey: string
  recipientEncryptionCreatedAt: number
  ephemeralPrivateKey: string
  nonce: string
  messageId: string
  createdAt: number
  contentType: number
  body: string
  session?: string
  /** Derived values, in the order they are computed. */
  senderPublicKey: string
  senderPeerId: string
  recipientPublicKey: string
  recipientPeerId: string
  recipientEncryptionPublicKey: string
  keyId: string
  ephemeralPublicKey: string
  header: string
  signed: string
  signature: string
  inner: string
  padded: string
  sharedSecret: string
  aeadKey: string
  aad: string
  ciphertext: string
  envelope: string
  opened: {
    sender: string
    messageId: string
    createdAt: number
    contentType: number
    body: string
    keyId: string
    session?: string
  }
}

export interface EnvelopeVectors {
  description: string
  vectors: EnvelopeVector[]
}

export interface IdentityVectors {
  description: string
  peerIds: { name: string; seed: string; publicKey: string; peerIdBytes: string; peerId: string }[]
  safetyNumbers: {
    name: string
    publicKeyA: string
    publicKeyB: string
    fingerprintA: string
    fingerprintB: string
    safetyNumber: string
    formatted: string
  }[]
  encryptionKeys: {
    name: string
    identitySeed: string
    privateKey: string
    createdAt: number
    publicKey: string
    keyId: string
    statement: string
    signature: string
    signed: string
  }[]
}

export interface Ed25519EdgeVector {
  name: string
  why: string
  publicKey: string
  message: string
  signature: string
  /** What Parley's policy + cofactorless equation must answer, in both engines. */
  expected: boolean
  /** passesEd25519Policy (the encoding checks, before any curve arithmetic). */
  policy: boolean
  /** For the record: what other verifiers say (not Parley's answer). */
  reference: {
    /** [S]B = R + [k]A on decoded points, no encoding policy. */
    cofactorless: boolean | 'undecodable'
    /** [8][S]B = [8]R + [8][k]A on decoded points. */
    cofactored: boolean | 'undecodable'
    /** @noble/ed25519 verify(sig, msg, pk, { zip215: false }). */
    nobleStrict: boolean
    /** @noble/ed25519 verify(sig, msg, pk, { zip215: true }). */
    nobleZip215: boolean
    /** node:crypto verify with no policy in front (OpenSSL). */
    opensslRaw: boolean | 'error'
  }
}

export interface Ed25519Vectors {
  description: string
  /** RFC 8032 §7.1 test vectors (independent known answers). */
  rfc8032: { name: string; seed: string; publicKey: string; message: string; signature: string }[]
  edge: Ed25519EdgeVector[]
}

export interface X25519Vectors {
  description: string
  /** RFC 7748 §5.2 and §6.1 (independent known answers). */
  rfc7748: { name: string; scalar: string; u: string; output: string }[]
  /** Public keys both engines must refuse with InvalidKeyError. */
  rejected: { name: string; why: string; publicKey: string }[]
}
