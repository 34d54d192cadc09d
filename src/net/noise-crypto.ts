import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { Uint8ArrayList } from 'uint8arraylist'

// DER headers of a raw X25519 key (RFC 8410), as Noise's own node crypto uses them
const PKCS8_PREFIX = Buffer.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20
])
const SPKI_PREFIX = Buffer.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])
const KEY_BYTES = 32

/**
 * Key objects by the very array Noise holds the key in: the private keys this module made, and the
 * peer keys Noise has passed in. Noise keeps a handshake's keys for the whole handshake (its static
 * key pair for the node's life), only reads them, and uses the peer's ephemeral key twice.
 */
const privateKeys = new WeakMap<Uint8Array, KeyObject>()
const publicKeys = new WeakMap<Uint8Array, KeyObject>()

function bytesOf(key: Uint8Array | Uint8ArrayList): Uint8Array {
  return key instanceof Uint8Array ? key : key.subarray()
}

function privateKeyObject(key: Uint8Array | Uint8ArrayList): KeyObject {
  if (key instanceof Uint8Array) {
    const own = privateKeys.get(key)
    if (own !== undefined) return own
  }
  const bytes = bytesOf(key)
  if (bytes.byteLength !== KEY_BYTES) throw new RangeError(`an X25519 private key is ${KEY_BYTES} bytes`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, bytes]), format: 'der', type: 'pkcs8' })
}

function publicKeyObject(key: Uint8Array | Uint8ArrayList): KeyObject {
  const bytes = bytesOf(key)
  if (bytes.byteLength !== KEY_BYTES) throw new RangeError(`an X25519 public key is ${KEY_BYTES} bytes`)
  let object = key instanceof Uint8Array ? publicKeys.get(key) : undefined
  if (object === undefined) {
    object = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' })
    if (key instanceof Uint8Array) publicKeys.set(key, object)
  }
  return object
}

function remember(privateKey: KeyObject): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const priv = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length))
  const pub = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)
  privateKeys.set(priv, privateKey)
  return { publicKey: new Uint8Array(pub), privateKey: priv }
}

/**
 * Noise's node crypto, with X25519 done on key objects made once. Noise's default turns the raw
 * private key back into a KeyObject (a DER parse) for every Diffie-Hellman: three per side and
 * handshake, and the peer's public key for each as well. Those imports cost more than the DHs
 * themselves (here: 78 and 45 µs against 42 µs for the DH). Everything else (hashing, HKDF,
 * ChaCha20-Poly1305) is Noise's own.
 */
export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair() {
    return remember(generateKeyPairSync('x25519').privateKey)
  },
  generateX25519KeyPairFromSeed(seed) {
    return remember(privateKeyObject(seed))
  },
  generateX25519SharedKey(privateKey, publicKey) {
    return diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) })
  }
}
