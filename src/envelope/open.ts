import { bytesEqual, pae } from '../codec/index.ts'
import {
  AAD_TYPE_ENVELOPE_HEADER,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  SIG_TYPE_ENVELOPE
} from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { verifyTyped } from '../crypto/index.ts'
import {
  BadSignatureError,
  DecodeError,
  DecryptionFailedError,
  MalformedEnvelopeError,
  OversizedError,
  SenderKeyMismatchError,
  TimestampOutOfWindowError,
  UnknownKeyIdError,
  UnsupportedVersionError,
  WrongRecipientError
} from '../errors.ts'
import type { Identity } from '../identity/index.ts'
import { peerIdBytesFromPublicKey, peerIdFromBytes, publicKeyFromPeerIdBytes } from '../identity/index.ts'
import { type EnvelopeHeader, EnvelopeInner, EnvelopeSigned, EnvelopeWire, encodeHeader, unpad } from './format.ts'
import { envelopeKey } from './seal.ts'

/** What a relay or mailbox may read: the visible header. */
export interface EnvelopeRouting {
  version: number
  /** Recipient PeerId string. */
  recipient: string
  keyId: Uint8Array
  session?: Uint8Array
}

/** A message taken out of its envelope and checked. */
export interface OpenedEnvelope {
  /** Sender PeerId string, proven by the signature. */
  sender: string
  senderKey: Uint8Array
  messageId: Uint8Array
  createdAt: number
  contentType: number
  body: Uint8Array
  /** The encryption key id it was sealed to. */
  keyId: Uint8Array
  session?: Uint8Array
}

export interface OpenOptions {
  /** @default Date.now() */
  now?: number
  /** @default DEFAULT_MAX_FUTURE_MS (10 minutes) */
  maxFutureMs?: number
  /** @default DEFAULT_MAX_AGE_MS (30 days) */
  maxAgeMs?: number
  /** @default the identity's engine */
  engine?: CryptoEngine
}

function parseWire(bytes: Uint8Array): { version: number; wire: EnvelopeWire } {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 2) throw new MalformedEnvelopeError('envelope too short')
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new OversizedError(
      `envelope is ${bytes.byteLength} bytes, the cap is ${MAX_ENVELOPE_BYTES}`,
      String(MAX_ENVELOPE_BYTES)
    )
  }
  const version = bytes[0]!
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError(`envelope version ${version} is not supported`)
  try {
    return { version, wire: EnvelopeWire.decode(bytes.subarray(1)) }
  } catch (err) {
    if (err instanceof DecodeError) throw new MalformedEnvelopeError(`malformed envelope: ${err.message}`)
    throw err
  }
}

/** Read the visible header without decrypting (relays, mailboxes, routing). */
export function readEnvelopeRouting(bytes: Uint8Array): EnvelopeRouting {
  const { version, wire } = parseWire(bytes)
  let recipient: string
  try {
    recipient = peerIdFromBytes(wire.recipient)
  } catch {
    throw new MalformedEnvelopeError('recipient is not an Ed25519 PeerId')
  }
  return { version, recipient, keyId: wire.keyId, ...(wire.session !== undefined ? { session: wire.session } : {}) }
}

/**
 * Open an envelope addressed to `identity`. Each failure is its own typed error; nothing is
 * returned unless the AEAD authenticated, the signature verified under the sender PeerId's key
 * and created-at is inside the window.
 */
export function open(
  bytes: Uint8Array,
  identity: Pick<Identity, 'publicKey' | 'findEncryptionKey' | 'engine'>,
  options: OpenOptions = {}
): OpenedEnvelope {
  const engine = options.engine ?? identity.engine
  const { version, wire } = parseWire(bytes)
  if (!bytesEqual(wire.recipient, peerIdBytesFromPublicKey(identity.publicKey))) {
    throw new WrongRecipientError('envelope is addressed to another peer')
  }
  const key = identity.findEncryptionKey(wire.keyId)
  if (key === undefined) throw new UnknownKeyIdError('envelope is sealed to an encryption key this node does not hold')

  const header: EnvelopeHeader = {
    recipient: wire.recipient,
    keyId: wire.keyId,
    ephemeral: wire.ephemeral,
    nonce: wire.nonce,
    ...(wire.session !== undefined ? { session: wire.session } : {})
  }
  const headerBytes = encodeHeader(version, header)
  let shared: Uint8Array
  try {
    shared = key.agreement.agree(wire.ephemeral)
  } catch {
    throw new DecryptionFailedError('unusable ephemeral key')
  }
  const aeadKey = envelopeKey(engine, shared, wire.ephemeral, key.publicKey)
  const plain = engine.aeadOpen(aeadKey, wire.nonce, wire.ciphertext, pae(AAD_TYPE_ENVELOPE_HEADER, headerBytes))
  shared.fill(0)
  aeadKey.fill(0)
  if (plain === undefined) throw new DecryptionFailedError('envelope does not decrypt')

  const innerBytes = unpad(plain)
  if (innerBytes === undefined) throw new MalformedEnvelopeError('bad padding')
  let inner: EnvelopeInner
  try {
    inner = EnvelopeInner.decode(innerBytes)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof OversizedError)
      throw new MalformedEnvelopeError(`malformed inner: ${err.message}`)
    throw err
  }

  const senderKey = publicKeyFromPeerIdBytes(inner.sender)
  if (senderKey === undefined)
    throw new SenderKeyMismatchError('sender is not an Ed25519 PeerId, so it cannot have signed')
  const signed = EnvelopeSigned.encode({
    header: headerBytes,
    sender: inner.sender,
    messageId: inner.messageId,
    createdAt: inner.createdAt,
    contentType: inner.contentType,
    body: inner.body
  })
  if (!verifyTyped(SIG_TYPE_ENVELOPE, signed, inner.signature, senderKey, engine)) {
    throw new BadSignatureError('sender signature does not verify')
  }

  const now = options.now ?? Date.now()
  const maxFuture = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS
  const maxAge = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS
  if (inner.createdAt > now + maxFuture || inner.createdAt < now - maxAge) {
    throw new TimestampOutOfWindowError(
      `created-at ${new Date(inner.createdAt).toISOString()} is outside the accepted window`
    )
  }

  return {
    sender: peerIdFromBytes(inner.sender),
    senderKey,
    messageId: inner.messageId,
    createdAt: inner.createdAt,
    contentType: inner.contentType,
    body: inner.body,
    keyId: wire.keyId,
    ...(wire.session !== undefined ? { session: wire.session } : {})
  }
}
