import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
  verify
} from 'node:crypto'
import { InvalidKeyError } from '../errors.ts'
import type { CryptoEngine, Signer, X25519Key } from './engine.ts'
import { nobleEngine } from './noble.ts'
import { isAllZero, isCanonicalX25519PublicKey, passesEd25519Policy } from './policy.ts'

// PKCS#8 prefixes that wrap a raw 32-byte private key (RFC 8410); import of 'raw-private' is slower here
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')

/**
 * Below this size noble's ChaCha20-Poly1305 beats node:crypto, which builds a cipher object per
 * call (notes/baselines.md: 2.2x faster at 256 B, level at about 4 KiB). Both give identical bytes.
 */
export const AEAD_NODE_THRESHOLD = 2048

/** How many public keys to keep imported: an import costs about as much as a verification. */
const KEY_CACHE_SIZE = 4096

// Node 24 imports and exports raw keys; @types/node does not describe these formats yet.
type RawKeyInput = Parameters<typeof createPublicKey>[0]
function importRawPublic(raw: Uint8Array, type: 'ed25519' | 'x25519'): KeyObject {
  return createPublicKey({ key: raw, format: 'raw-public', asymmetricKeyType: type } as unknown as RawKeyInput)
}
function exportRawPublic(key: KeyObject): Uint8Array {
  const buf = key.export({ format: 'raw-public' } as unknown as { format: 'der'; type: 'spki' })
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

function toU8(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** A small LRU of imported public keys. */
function keyCache(type: 'ed25519' | 'x25519'): (raw: Uint8Array) => KeyObject {
  const cache = new Map<string, KeyObject>()
  return (raw) => {
    const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
    let key = cache.get(id)
    if (key !== undefined) {
      cache.delete(id)
      cache.set(id, key)
      return key
    }
    key = importRawPublic(raw, type)
    if (cache.size >= KEY_CACHE_SIZE) cache.delete(cache.keys().next().value!)
    cache.set(id, key)
    return key
  }
}

/** The OpenSSL engine (node:crypto), with KeyObjects cached per key. */
export function nodeEngine(): CryptoEngine {
  const noble = nobleEngine()
  const verifyKey = keyCache('ed25519')
  const agreeKey = keyCache('x25519')

  const x25519Key = (key: KeyObject): X25519Key => ({
    publicKey: exportRawPublic(createPublicKey(key)),
    agree(peer, cacheable = false) {
      if (!isCanonicalX25519PublicKey(peer)) throw new InvalidKeyError('non-canonical X25519 public key')
      let shared: Uint8Array
      try {
        const pub = cacheable ? agreeKey(peer) : importRawPublic(peer, 'x25519')
        shared = toU8(diffieHellman({ privateKey: key, publicKey: pub }))
      } catch {
        // OpenSSL refuses an all-zero result itself
        throw new InvalidKeyError('low-order X25519 public key')
      }
      if (isAllZero(shared)) throw new InvalidKeyError('low-order X25519 public key')
      return shared
    }
  })

  return {
    name: 'node',
    signer(seed): Signer {
      if (seed.byteLength !== 32) throw new InvalidKeyError('Ed25519 seed must be 32 bytes')
      const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' })
      const publicKey = exportRawPublic(createPublicKey(key))
      return { publicKey, sign: (message) => toU8(sign(null, message, key)) }
    },
    verify(signature, message, publicKey) {
      if (!passesEd25519Policy(signature, publicKey)) return false
      try {
        return verify(null, message, verifyKey(publicKey), signature)
      } catch {
        // not a point on the curve
        return false
      }
    },
    x25519(privateKey) {
      if (privateKey.byteLength !== 32) throw new InvalidKeyError('X25519 private key must be 32 bytes')
      return x25519Key(
        createPrivateKey({ key: Buffer.concat([X25519_PKCS8, privateKey]), format: 'der', type: 'pkcs8' })
      )
    },
    generateX25519() {
      return x25519Key(generateKeyPairSync('x25519').privateKey)
    },
    hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
    aeadSeal(key, nonce, plaintext, aad) {
      if (plaintext.byteLength < AEAD_NODE_THRESHOLD) return noble.aeadSeal(key, nonce, plaintext, aad)
      const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
      cipher.setAAD(aad, { plaintextLength: plaintext.byteLength })
      return toU8(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]))
    },
    aeadOpen(key, nonce, sealed, aad) {
      if (sealed.byteLength < 16) return undefined
      if (sealed.byteLength - 16 < AEAD_NODE_THRESHOLD) return noble.aeadOpen(key, nonce, sealed, aad)
      try {
        const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
        decipher.setAAD(aad, { plaintextLength: sealed.byteLength - 16 })
        decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16))
        return toU8(Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - 16)), decipher.final()]))
      } catch {
        return undefined
      }
    },
    sha256: (data) => toU8(createHash('sha256').update(data).digest()),
    sha512: (data) => toU8(createHash('sha512').update(data).digest()),
    randomBytes: (length) => toU8(randomBytes(length))
  }
}
