import { pae } from '../codec/index.ts'
import {
  AAD_TYPE_ENVELOPE_HEADER,
  ContentType,
  ENVELOPE_VERSION,
  KDF_INFO_ENVELOPE,
  MAX_BODY_BYTES,
  MAX_ENVELOPE_BYTES,
  MESSAGE_ID_BYTES,
  NONCE_BYTES,
  SIG_TYPE_ENVELOPE
} from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { concat, signTyped } from '../crypto/index.ts'
import { EncodeError, OversizedError } from '../errors.ts'
import type { Identity, PublicEncryptionKey } from '../identity/index.ts'
import { peerIdBytesFromPublicKey, peerIdToBytes } from '../identity/index.ts'
import { EnvelopeInner, EnvelopeSigned, EnvelopeWire, encodeHeader, pad } from './format.ts'

const encoder = new TextEncoder()
const KDF_INFO = encoder.encode(KDF_INFO_ENVELOPE)

export interface SealInit {
  /** The sender's identity (signs the inner fields). */
  sender: Pick<Identity, 'signer' | 'engine'>
  /** Recipient PeerId string (or its 38-byte multihash). */
  recipient: string | Uint8Array
  /** The recipient's current encryption key, already verified against its identity key. */
  encryptionKey: Pick<PublicEncryptionKey, 'id' | 'publicKey'>
  body: Uint8Array
  /** @default ContentType.text */
  contentType?: number
  /** 16 bytes. @default random */
  messageId?: Uint8Array
  /** Milliseconds since the epoch. @default Date.now() */
  createdAt?: number
  /** Reserved for ratchet sessions. */
  session?: Uint8Array
  /** Fixed randomness, for known-answer vectors only. */
  ephemeralPrivateKey?: Uint8Array
  nonce?: Uint8Array
  /** @default the sender identity's engine */
  engine?: CryptoEngine
}

export interface SealedEnvelope {
  bytes: Uint8Array
  messageId: Uint8Array
  createdAt: number
}

/** HKDF over the X25519 secret, salted with both public keys so the key is bound to them. */
export function envelopeKey(
  engine: CryptoEngine,
  shared: Uint8Array,
  ephemeral: Uint8Array,
  recipientKey: Uint8Array
): Uint8Array {
  return engine.hkdfSha256(shared, concat(ephemeral, recipientKey), KDF_INFO, 32)
}

/** Seal a message so only the recipient can open it and only the envelope's header is visible. */
export function seal(init: SealInit): SealedEnvelope {
  const engine = init.engine ?? init.sender.engine
  if (init.body.byteLength > MAX_BODY_BYTES) {
    throw new OversizedError(
      `message body is ${init.body.byteLength} bytes, the cap is ${MAX_BODY_BYTES}`,
      String(MAX_BODY_BYTES)
    )
  }
  const recipient = typeof init.recipient === 'string' ? peerIdToBytes(init.recipient) : init.recipient
  const messageId = init.messageId ?? engine.randomBytes(MESSAGE_ID_BYTES)
  if (messageId.byteLength !== MESSAGE_ID_BYTES) throw new EncodeError('message id must be 16 bytes')
  const createdAt = init.createdAt ?? Date.now()
  const contentType = init.contentType ?? ContentType.text
  const ephemeral =
    init.ephemeralPrivateKey !== undefined ? engine.x25519(init.ephemeralPrivateKey) : engine.generateX25519()
  const nonce = init.nonce ?? engine.randomBytes(NONCE_BYTES)

  const header = {
    recipient,
    keyId: init.encryptionKey.id,
    ephemeral: ephemeral.publicKey,
    nonce,
    ...(init.session !== undefined ? { session: init.session } : {})
  }
  const headerBytes = encodeHeader(ENVELOPE_VERSION, header)
  const sender = peerIdBytesFromPublicKey(init.sender.signer.publicKey)
  const signed = EnvelopeSigned.encode({
    header: headerBytes,
    sender,
    messageId,
    createdAt,
    contentType,
    body: init.body
  })
  const signature = signTyped(init.sender.signer, SIG_TYPE_ENVELOPE, signed)
  const inner = EnvelopeInner.encode({ sender, messageId, createdAt, contentType, body: init.body, signature })

  const shared = ephemeral.agree(init.encryptionKey.publicKey, true)
  const key = envelopeKey(engine, shared, ephemeral.publicKey, init.encryptionKey.publicKey)
  const ciphertext = engine.aeadSeal(key, nonce, pad(inner), pae(AAD_TYPE_ENVELOPE_HEADER, headerBytes))
  shared.fill(0)
  key.fill(0)

  const wire = EnvelopeWire.encode({ ...header, ciphertext })
  const bytes = new Uint8Array(1 + wire.byteLength)
  bytes[0] = ENVELOPE_VERSION
  bytes.set(wire, 1)
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new OversizedError(
      `envelope is ${bytes.byteLength} bytes, the cap is ${MAX_ENVELOPE_BYTES}`,
      String(MAX_ENVELOPE_BYTES)
    )
  }
  return { bytes, messageId, createdAt }
}
