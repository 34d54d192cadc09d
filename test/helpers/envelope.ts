/**
 * Build envelopes by hand from src/envelope/format.ts pieces, to reach each check of open() with
 * exactly one thing wrong (the seal() API would never produce them).
 */
import { pae } from '../../src/codec/index.ts'
import { AAD_TYPE_ENVELOPE_HEADER, ContentType, SIG_TYPE_ENVELOPE } from '../../src/constants.ts'
import type { CryptoEngine, Signer } from '../../src/crypto/index.ts'
import { signTyped } from '../../src/crypto/index.ts'
import { EnvelopeInner, EnvelopeSigned, EnvelopeWire, encodeHeader, pad, unpad } from '../../src/envelope/format.ts'
import { envelopeKey } from '../../src/envelope/index.ts'
import type { Identity } from '../../src/identity/index.ts'
import { peerIdBytesFromPublicKey } from '../../src/identity/index.ts'

export interface ManualInner {
  /** 38 bytes; default: the signer's Ed25519 PeerId. */
  sender?: Uint8Array
  messageId?: Uint8Array
  createdAt?: number
  contentType?: number
  body?: Uint8Array
  /** Signs PAE(type, signed); default: the sender. */
  signer: Signer
  /** @default SIG_TYPE_ENVELOPE */
  sigType?: string
  /** Sign over this header instead of the real one (a re-addressed signature). */
  signedHeader?: Uint8Array
}

export interface ManualEnvelope {
  recipient: Pick<Identity, 'publicKey'>
  /** The key sealed to: its id goes in the header, its public key into the key agreement. */
  encryptionKey: { id: Uint8Array; publicKey: Uint8Array }
  engine: CryptoEngine
  session?: Uint8Array
  version?: number
  /** The padded plaintext from the header bytes; default pad(inner(...)). */
  plaintext?: (header: Uint8Array) => Uint8Array
  inner?: ManualInner
  /** Override the ephemeral public key written in the header (keeps the real one for the agreement). */
  ephemeralOverride?: Uint8Array
}

/** The encoded inner map, signed as seal() signs it unless told otherwise. */
export function buildInner(header: Uint8Array, m: ManualInner): Uint8Array {
  const fields = {
    sender: m.sender ?? peerIdBytesFromPublicKey(m.signer.publicKey),
    messageId: m.messageId ?? new Uint8Array(16).fill(1),
    createdAt: m.createdAt ?? Date.now(),
    contentType: m.contentType ?? ContentType.text,
    body: m.body ?? new TextEncoder().encode('hello')
  }
  const signed = EnvelopeSigned.encode({ header: m.signedHeader ?? header, ...fields })
  const signature = signTyped(m.signer, m.sigType ?? SIG_TYPE_ENVELOPE, signed)
  return EnvelopeInner.encode({ ...fields, signature })
}

export function sealManual(o: ManualEnvelope): Uint8Array {
  const eph = o.engine.generateX25519()
  const nonce = o.engine.randomBytes(12)
  const header = {
    recipient: peerIdBytesFromPublicKey(o.recipient.publicKey),
    keyId: o.encryptionKey.id,
    ephemeral: o.ephemeralOverride ?? eph.publicKey,
    nonce,
    ...(o.session !== undefined ? { session: o.session } : {})
  }
  const version = o.version ?? 1
  const headerBytes = encodeHeader(version, header)
  const plaintext = o.plaintext !== undefined ? o.plaintext(headerBytes) : pad(buildInner(headerBytes, o.inner!))
  const shared = eph.agree(o.encryptionKey.publicKey)
  const key = envelopeKey(o.engine, shared, eph.publicKey, o.encryptionKey.publicKey)
  const ciphertext = o.engine.aeadSeal(key, nonce, plaintext, pae(AAD_TYPE_ENVELOPE_HEADER, headerBytes))
  const wire = EnvelopeWire.encode({ ...header, ciphertext })
  const out = new Uint8Array(1 + wire.byteLength)
  out[0] = version
  out.set(wire, 1)
  return out
}

/**
 * What any recipient can do with its own envelope: decrypt it down to the exact inner bytes, with
 * the sender's signature in them (used to show that those bytes cannot be re-sent to someone else).
 */
export function decryptInner(env: Uint8Array, me: Pick<Identity, 'findEncryptionKey' | 'engine'>): Uint8Array {
  const wire = EnvelopeWire.decode(env.subarray(1))
  const key = me.findEncryptionKey(wire.keyId)!
  const header = encodeHeader(env[0]!, {
    recipient: wire.recipient,
    keyId: wire.keyId,
    ephemeral: wire.ephemeral,
    nonce: wire.nonce,
    ...(wire.session !== undefined ? { session: wire.session } : {})
  })
  const shared = key.agreement.agree(wire.ephemeral)
  const aeadKey = envelopeKey(me.engine, shared, wire.ephemeral, key.publicKey)
  const plain = me.engine.aeadOpen(aeadKey, wire.nonce, wire.ciphertext, pae(AAD_TYPE_ENVELOPE_HEADER, header))
  return unpad(plain!)!
}
