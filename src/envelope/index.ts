/** End-to-end envelopes, version 1: sealed sender over X25519 + HKDF + ChaCha20-Poly1305, signed with Ed25519. */
export type {
  EnvelopeHeader,
  EnvelopeInner as EnvelopeInnerFields,
  EnvelopeWire as EnvelopeWireFields
} from './format.ts'
export { EnvelopeInner, EnvelopeSigned, EnvelopeWire, MAX_SESSION_BYTES, PADDING_BLOCK, pad, unpad } from './format.ts'
export type { EnvelopeRouting, OpenedEnvelope, OpenOptions } from './open.ts'
export { open, readEnvelopeRouting } from './open.ts'
export type { SealedEnvelope, SealInit } from './seal.ts'
export { envelopeKey, seal } from './seal.ts'
