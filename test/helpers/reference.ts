/**
 * An independent reference for the known-answer vectors: the envelope, the encryption-key
 * statement and the safety number rebuilt from their written description with node:crypto and the
 * test-only CBOR writer, sharing no code with src/. If src/ and this file agree byte for byte, the
 * vectors describe the construction, not just whatever the code happens to do.
 */
import {
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  sign
} from 'node:crypto'
import { concatBytes, utf8 } from './bytes.ts'
import { type Raw, writeRaw } from './cbor-raw.ts'

const uint = (v: number): Raw => ({ t: 'uint', v: BigInt(v) })
const bstr = (v: Uint8Array): Raw => ({ t: 'bytes', v })
/** A map with integer keys 0..23 given in ascending order (their one-byte encodings sort the same way). */
function intMap(entries: [number, Raw][]): Uint8Array {
  return writeRaw({ t: 'map', entries: entries.map(([k, v]) => [uint(k), v]) })
}

/** DSSE v1 pre-authentication encoding, straight from the DSSE protocol text. */
export function referencePae(type: string, payload: Uint8Array): Uint8Array {
  const t = utf8(type)
  return concatBytes(utf8(`DSSEv1 ${t.byteLength} `), t, utf8(` ${payload.byteLength} `), payload)
}

function ed25519Key(seed: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8'
  })
}

function x25519Key(priv: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), priv]),
    format: 'der',
    type: 'pkcs8'
  })
}

function rawPublic(key: KeyObject): Uint8Array {
  // SPKI of an Ed25519/X25519 key is a 12-byte prefix and the 32-byte key
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12))
}

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), raw]),
    format: 'der',
    type: 'spki'
  })
}

export function referenceEd25519Public(seed: Uint8Array): Uint8Array {
  return rawPublic(ed25519Key(seed))
}

export function referenceX25519Public(priv: Uint8Array): Uint8Array {
  return rawPublic(x25519Key(priv))
}

export function referenceX25519(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  return new Uint8Array(diffieHellman({ privateKey: x25519Key(priv), publicKey: x25519Public(pub) }))
}

/** 0x00 0x24 (identity multihash, 36 bytes) 0x08 0x01 (Ed25519) 0x12 0x20 + key. */
export function referencePeerIdBytes(publicKey: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]), publicKey)
}

export interface ReferenceEnvelopeInput {
  senderSeed: Uint8Array
  recipientPublicKey: Uint8Array
  recipientEncryptionPublicKey: Uint8Array
  ephemeralPrivateKey: Uint8Array
  nonce: Uint8Array
  messageId: Uint8Array
  createdAt: number
  contentType: number
  body: Uint8Array
  session?: Uint8Array
}

export interface ReferenceEnvelope {
  keyId: Uint8Array
  ephemeralPublicKey: Uint8Array
  header: Uint8Array
  signed: Uint8Array
  signature: Uint8Array
  inner: Uint8Array
  padded: Uint8Array
  sharedSecret: Uint8Array
  aeadKey: Uint8Array
  aad: Uint8Array
  ciphertext: Uint8Array
  envelope: Uint8Array
}

/** The envelope v1 construction as issue #2 describes it, step by step. */
export function referenceEnvelope(input: ReferenceEnvelopeInput): ReferenceEnvelope {
  const recipient = referencePeerIdBytes(input.recipientPublicKey)
  const senderKey = ed25519Key(input.senderSeed)
  const sender = referencePeerIdBytes(rawPublic(senderKey))
  const keyId = new Uint8Array(createHash('sha256').update(input.recipientEncryptionPublicKey).digest().subarray(0, 8))
  const ephemeralPublicKey = referenceX25519Public(input.ephemeralPrivateKey)
  const headerFields: [number, Raw][] = [
    [0, uint(1)],
    [1, bstr(recipient)],
    [2, bstr(keyId)],
    [3, bstr(ephemeralPublicKey)],
    [4, bstr(input.nonce)]
  ]
  if (input.session !== undefined) headerFields.push([5, bstr(input.session)])
  const header = concatBytes(Uint8Array.of(1), intMap(headerFields))
  const signed = intMap([
    [0, uint(1)],
    [1, bstr(header)],
    [2, bstr(sender)],
    [3, bstr(input.messageId)],
    [4, uint(input.createdAt)],
    [5, uint(input.contentType)],
    [6, bstr(input.body)]
  ])
  const signature = new Uint8Array(sign(null, referencePae('parley/envelope/v1', signed), senderKey))
  const inner = intMap([
    [0, uint(1)],
    [1, bstr(sender)],
    [2, bstr(input.messageId)],
    [3, uint(input.createdAt)],
    [4, uint(input.contentType)],
    [5, bstr(input.body)],
    [6, bstr(signature)]
  ])
  const padded = new Uint8Array(Math.ceil((inner.byteLength + 4) / 64) * 64)
  new DataView(padded.buffer).setUint32(0, inner.byteLength)
  padded.set(inner, 4)
  const sharedSecret = referenceX25519(input.ephemeralPrivateKey, input.recipientEncryptionPublicKey)
  const aeadKey = new Uint8Array(
    hkdfSync(
      'sha256',
      sharedSecret,
      concatBytes(ephemeralPublicKey, input.recipientEncryptionPublicKey),
      utf8('parley/envelope/v1/key'),
      32
    )
  )
  const aad = referencePae('parley/envelope-header/v1', header)
  const ciphertext = referenceChaChaPoly(aeadKey, input.nonce, padded, aad)
  const envelope = concatBytes(Uint8Array.of(1), intMap([...headerFields, [6, bstr(ciphertext)]]))
  return {
    keyId,
    ephemeralPublicKey,
    header,
    signed,
    signature,
    inner,
    padded,
    sharedSecret,
    aeadKey,
    aad,
    ciphertext,
    envelope
  }
}

export function referenceChaChaPoly(
  key: Uint8Array,
  nonce: Uint8Array,
  plain: Uint8Array,
  aad: Uint8Array
): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  cipher.setAAD(aad, { plaintextLength: plain.byteLength })
  return new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]))
}

export interface ReferenceEncryptionKey {
  publicKey: Uint8Array
  keyId: Uint8Array
  statement: Uint8Array
  signature: Uint8Array
  signed: Uint8Array
}

/** The signed encryption-key statement: {0:1, 1:identityKey, 2:keyId, 3:publicKey, 4:createdAt}. */
export function referenceEncryptionKey(
  identitySeed: Uint8Array,
  privateKey: Uint8Array,
  createdAt: number
): ReferenceEncryptionKey {
  const idKey = ed25519Key(identitySeed)
  const publicKey = referenceX25519Public(privateKey)
  const keyId = new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, 8))
  const statement = intMap([
    [0, uint(1)],
    [1, bstr(rawPublic(idKey))],
    [2, bstr(keyId)],
    [3, bstr(publicKey)],
    [4, uint(createdAt)]
  ])
  const signature = new Uint8Array(sign(null, referencePae('parley/encryption-key/v1', statement), idKey))
  const signed = intMap([
    [0, uint(1)],
    [1, bstr(statement)],
    [2, bstr(signature)]
  ])
  return { publicKey, keyId, statement, signature, signed }
}

/** Signal's NumericFingerprint (version 0), with the base58 PeerId string as the stable identifier. */
export function referenceFingerprint(publicKey: Uint8Array, peerId: string): string {
  let hash: Uint8Array = concatBytes(Uint8Array.of(0, 0), publicKey, utf8(peerId))
  for (let i = 0; i < 5200; i++) hash = createHash('sha512').update(hash).update(publicKey).digest()
  let out = ''
  for (let c = 0; c < 6; c++) {
    const chunk = hash.subarray(c * 5, c * 5 + 5)
    const n = chunk.reduce((acc, b) => acc * 256 + b, 0)
    out += String(n % 100000).padStart(5, '0')
  }
  return out
}
