import { bytes, defineSchema, encodeCanonical, field, optional, uint } from '../codec/index.ts'
import { KEY_ID_BYTES, MAX_BODY_BYTES, MAX_ENVELOPE_BYTES, MESSAGE_ID_BYTES, NONCE_BYTES } from '../constants.ts'
import { PEER_ID_BYTES } from '../identity/index.ts'

/** Reserved for Double Ratchet session data (a later issue); at most this many bytes. */
export const MAX_SESSION_BYTES = 512

/**
 * The envelope on the wire: one version byte, then this CBOR map. Everything but the ciphertext
 * is visible (all a relay needs to route it); the header is the AEAD's associated data.
 */
export const EnvelopeWire = defineSchema({
  name: 'envelope',
  version: 1,
  maxBytes: MAX_ENVELOPE_BYTES,
  fields: {
    recipient: field(1, bytes({ len: PEER_ID_BYTES })),
    keyId: field(2, bytes({ len: KEY_ID_BYTES })),
    ephemeral: field(3, bytes({ len: 32 })),
    nonce: field(4, bytes({ len: NONCE_BYTES })),
    session: optional(5, bytes({ max: MAX_SESSION_BYTES })),
    ciphertext: field(6, bytes({ min: 16, max: MAX_ENVELOPE_BYTES }))
  }
})
export type EnvelopeWire = ReturnType<typeof EnvelopeWire.decode>
export type EnvelopeHeader = Omit<EnvelopeWire, 'ciphertext'>

/** The sealed part: who sent it and what, with the sender's signature. */
export const EnvelopeInner = defineSchema({
  name: 'envelope-inner',
  version: 1,
  maxBytes: MAX_ENVELOPE_BYTES,
  fields: {
    sender: field(1, bytes({ len: PEER_ID_BYTES })),
    messageId: field(2, bytes({ len: MESSAGE_ID_BYTES })),
    createdAt: field(3, uint()),
    contentType: field(4, uint(0xffff)),
    body: field(5, bytes({ max: MAX_BODY_BYTES })),
    signature: field(6, bytes({ len: 64 }))
  }
})
export type EnvelopeInner = ReturnType<typeof EnvelopeInner.decode>

/** What the sender signs: the exact visible header bytes and every inner field. */
export const EnvelopeSigned = defineSchema({
  name: 'envelope-signed',
  version: 1,
  maxBytes: MAX_ENVELOPE_BYTES * 2,
  fields: {
    header: field(1, bytes({ max: 1024 })),
    sender: field(2, bytes({ len: PEER_ID_BYTES })),
    messageId: field(3, bytes({ len: MESSAGE_ID_BYTES })),
    createdAt: field(4, uint()),
    contentType: field(5, uint(0xffff)),
    body: field(6, bytes({ max: MAX_BODY_BYTES }))
  }
})

/** Canonical bytes of the visible header: version byte, then the wire map without the ciphertext. */
export function encodeHeader(version: number, header: EnvelopeHeader): Uint8Array {
  const m = new Map<number, unknown>([
    [0, EnvelopeWire.version],
    [1, header.recipient],
    [2, header.keyId],
    [3, header.ephemeral],
    [4, header.nonce]
  ])
  if (header.session !== undefined) m.set(5, header.session)
  const cbor = encodeCanonical(m)
  const out = new Uint8Array(1 + cbor.byteLength)
  out[0] = version
  out.set(cbor, 1)
  return out
}

/** Plaintext is padded to a multiple of this, so the ciphertext length tells little about the body. */
export const PADDING_BLOCK = 64

/** [4-byte big-endian length][inner CBOR][zeros up to a multiple of PADDING_BLOCK] */
export function pad(inner: Uint8Array): Uint8Array {
  const total = Math.ceil((inner.byteLength + 4) / PADDING_BLOCK) * PADDING_BLOCK
  const out = new Uint8Array(total)
  new DataView(out.buffer).setUint32(0, inner.byteLength)
  out.set(inner, 4)
  return out
}

/** Undo pad(); undefined if the length or the padding is not exactly as pad() writes it. */
export function unpad(plain: Uint8Array): Uint8Array | undefined {
  if (plain.byteLength < 4 || plain.byteLength % PADDING_BLOCK !== 0) return undefined
  const len = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0)
  if (len > plain.byteLength - 4 || plain.byteLength - (len + 4) >= PADDING_BLOCK) return undefined
  for (let i = 4 + len; i < plain.byteLength; i++) if (plain[i] !== 0) return undefined
  return plain.subarray(4, 4 + len)
}
