import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js'
import * as ed from '@noble/ed25519'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { InvalidKeyError } from '../errors.ts'
import type { CryptoEngine, Signer, X25519Key } from './engine.ts'
import { isAllZero, isCanonicalX25519PublicKey, passesEd25519Policy } from './policy.ts'

// noble v3 needs a SHA-512 for its synchronous API
ed.hashes.sha512 = sha512

const L = 2n ** 252n + 27742317777372353535851937790883648493n

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.byteLength - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/** Cofactorless strict verification on noble's points (see policy.ts for why not ed.verify). */
function verifyStrict(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!passesEd25519Policy(signature, publicKey)) return false
  try {
    const A = ed.Point.fromBytes(publicKey, false)
    const R = ed.Point.fromBytes(signature.subarray(0, 32), false)
    const s = leToBigInt(signature.subarray(32))
    const h = sha512(concat(signature.subarray(0, 32), publicKey, message))
    const k = leToBigInt(h) % L
    // noble refuses a zero scalar; [0]P is the identity
    const SB = s === 0n ? ed.Point.ZERO : ed.Point.BASE.multiply(s, false)
    const rhs = k === 0n ? R : R.add(A.multiply(k, false))
    return SB.equals(rhs)
  } catch {
    return false
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.byteLength
  const out = new Uint8Array(len)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** The pure-JS engine: the reference, and the path for runtimes without node:crypto. */
export function nobleEngine(): CryptoEngine {
  return {
    name: 'noble',
    signer(seed): Signer {
      if (seed.byteLength !== 32) throw new InvalidKeyError('Ed25519 seed must be 32 bytes')
      const secret = Uint8Array.from(seed)
      const publicKey = ed.getPublicKey(secret)
      return { publicKey, sign: (message) => ed.sign(message, secret) }
    },
    verify: verifyStrict,
    x25519(privateKey): X25519Key {
      if (privateKey.byteLength !== 32) throw new InvalidKeyError('X25519 private key must be 32 bytes')
      const secret = Uint8Array.from(privateKey)
      return {
        publicKey: nobleX25519.getPublicKey(secret),
        agree(publicKey) {
          if (!isCanonicalX25519PublicKey(publicKey)) throw new InvalidKeyError('non-canonical X25519 public key')
          let shared: Uint8Array
          try {
            shared = nobleX25519.getSharedSecret(secret, publicKey)
          } catch {
            throw new InvalidKeyError('low-order X25519 public key')
          }
          if (isAllZero(shared)) throw new InvalidKeyError('low-order X25519 public key')
          return shared
        }
      }
    },
    generateX25519() {
      return this.x25519(randomBytes(32))
    },
    hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
    aeadSeal: (key, nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
    aeadOpen(key, nonce, sealed, aad) {
      if (sealed.byteLength < 16) return undefined
      try {
        return chacha20poly1305(key, nonce, aad).decrypt(sealed)
      } catch {
        return undefined
      }
    },
    sha256: (data) => sha256(data),
    sha512: (data) => sha512(data),
    randomBytes: (length) => randomBytes(length)
  }
}

export { concat }
