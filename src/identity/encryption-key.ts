import { bytes, bytesEqual, defineSchema, field, uint } from '../codec/index.ts'
import { KEY_ID_BYTES, SIG_TYPE_ENCRYPTION_KEY } from '../constants.ts'
import type { CryptoEngine, Signer, X25519Key } from '../crypto/index.ts'
import { getEngine, signTyped, verifyTyped } from '../crypto/index.ts'
import { BadSignatureError } from '../errors.ts'

/** What the identity key signs about an encryption key. */
export const EncryptionKeyStatement = defineSchema({
  name: 'encryption-key',
  version: 1,
  maxBytes: 256,
  fields: {
    identityKey: field(1, bytes({ len: 32 })),
    keyId: field(2, bytes({ len: KEY_ID_BYTES })),
    publicKey: field(3, bytes({ len: 32 })),
    createdAt: field(4, uint())
  }
})
export type EncryptionKeyStatement = ReturnType<typeof EncryptionKeyStatement.decode>

/** The statement's exact bytes and the identity key's signature over PAE(type, bytes). */
export const SignedEncryptionKey = defineSchema({
  name: 'signed-encryption-key',
  version: 1,
  maxBytes: 512,
  fields: {
    statement: field(1, bytes({ max: 256 })),
    signature: field(2, bytes({ len: 64 }))
  }
})
export type SignedEncryptionKey = ReturnType<typeof SignedEncryptionKey.decode>

/** An encryption key as others see it: verified against its owner's identity key. */
export interface PublicEncryptionKey {
  id: Uint8Array
  publicKey: Uint8Array
  createdAt: number
}

/** An encryption key pair this node holds. */
export interface EncryptionKeyPair extends PublicEncryptionKey {
  privateKey: Uint8Array
  /** When it stopped being current; it still opens mail until retiredAt + grace. */
  retiredAt?: number
  /** The SignedEncryptionKey bytes, published in the profile record. */
  signed: Uint8Array
  agreement: X25519Key
}

/** Key id: the first 8 bytes of SHA-256 of the public key. */
export function encryptionKeyId(publicKey: Uint8Array, engine: CryptoEngine = getEngine()): Uint8Array {
  return engine.sha256(publicKey).slice(0, KEY_ID_BYTES)
}

/** Build (or rebuild from a stored private key) an encryption key pair signed by the identity. */
export function makeEncryptionKeyPair(
  signer: Signer,
  privateKey: Uint8Array,
  createdAt: number,
  engine: CryptoEngine = getEngine()
): EncryptionKeyPair {
  const agreement = engine.x25519(privateKey)
  const id = encryptionKeyId(agreement.publicKey, engine)
  const statement = EncryptionKeyStatement.encode({
    identityKey: signer.publicKey,
    keyId: id,
    publicKey: agreement.publicKey,
    createdAt
  })
  const signature = signTyped(signer, SIG_TYPE_ENCRYPTION_KEY, statement)
  const signed = SignedEncryptionKey.encode({ statement, signature })
  return { id, publicKey: agreement.publicKey, createdAt, privateKey: Uint8Array.from(privateKey), signed, agreement }
}

/**
 * Check a SignedEncryptionKey against the identity key it must belong to. Throws DecodeError for
 * bad bytes and BadSignatureError when the signature or the owner does not match.
 */
export function verifySignedEncryptionKey(
  signed: Uint8Array,
  identityKey: Uint8Array,
  engine: CryptoEngine = getEngine()
): PublicEncryptionKey {
  const { statement, signature } = SignedEncryptionKey.decode(signed)
  const s = EncryptionKeyStatement.decode(statement)
  if (!bytesEqual(s.identityKey, identityKey)) throw new BadSignatureError('encryption key signed for another identity')
  if (!verifyTyped(SIG_TYPE_ENCRYPTION_KEY, statement, signature, identityKey, engine)) {
    throw new BadSignatureError('encryption key signature does not verify')
  }
  if (!bytesEqual(s.keyId, encryptionKeyId(s.publicKey, engine))) throw new BadSignatureError('key id does not match')
  return { id: s.keyId, publicKey: s.publicKey, createdAt: s.createdAt }
}
