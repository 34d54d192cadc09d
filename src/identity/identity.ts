import { bytesEqual } from '../codec/index.ts'
import { DEFAULT_KEY_GRACE_MS } from '../constants.ts'
import type { CryptoEngine, Signer } from '../crypto/index.ts'
import { getEngine } from '../crypto/index.ts'
import { InvalidKeyError } from '../errors.ts'
import { type EncryptionKeyPair, makeEncryptionKeyPair } from './encryption-key.ts'
import { peerIdFromPublicKey } from './peer-id.ts'

/**
 * A node's keys in memory: the Ed25519 identity key (its PeerId) and its X25519 encryption keys,
 * the current one first. The seed is kept only to save the keystore and to build the libp2p key.
 */
export interface Identity {
  readonly peerId: string
  readonly publicKey: Uint8Array
  readonly signer: Signer
  readonly engine: CryptoEngine
  /** The 32-byte Ed25519 seed. Never log it. */
  readonly seed: Uint8Array
  /** Current key first, then retired keys still within their grace period. */
  readonly encryptionKeys: EncryptionKeyPair[]
  currentEncryptionKey(): EncryptionKeyPair
  /** The key with this id, current or retired, or undefined. */
  findEncryptionKey(id: Uint8Array): EncryptionKeyPair | undefined
  /** Make a new current encryption key; the old one is retired and kept for the grace period. */
  rotateEncryptionKey(options?: { now?: number }): EncryptionKeyPair
  /** Drop retired keys older than the grace period; returns how many were dropped. */
  purgeRetiredKeys(options?: { now?: number; graceMs?: number }): number
}

export interface StoredEncryptionKey {
  privateKey: Uint8Array
  createdAt: number
  retiredAt?: number
}

export interface IdentityInit {
  /** 32-byte Ed25519 seed; random when absent. */
  seed?: Uint8Array
  /** Stored encryption keys, current first; a fresh one is made when absent or empty. */
  encryptionKeys?: StoredEncryptionKey[]
  /** @default getEngine() (node:crypto) */
  engine?: CryptoEngine
  /** @default Date.now() */
  now?: number
}

/** Build an identity from stored keys, or a fresh one. */
export function createIdentity(init: IdentityInit = {}): Identity {
  const engine = init.engine ?? getEngine()
  const seed = init.seed !== undefined ? Uint8Array.from(init.seed) : engine.randomBytes(32)
  if (seed.byteLength !== 32) throw new InvalidKeyError('identity seed must be 32 bytes')
  const signer = engine.signer(seed)
  const now = init.now ?? Date.now()
  const encryptionKeys: EncryptionKeyPair[] = (init.encryptionKeys ?? []).map((k) => {
    const pair = makeEncryptionKeyPair(signer, k.privateKey, k.createdAt, engine)
    if (k.retiredAt !== undefined) pair.retiredAt = k.retiredAt
    return pair
  })
  if (encryptionKeys.length === 0)
    encryptionKeys.push(makeEncryptionKeyPair(signer, engine.randomBytes(32), now, engine))

  const identity: Identity = {
    peerId: peerIdFromPublicKey(signer.publicKey),
    publicKey: signer.publicKey,
    signer,
    engine,
    seed,
    encryptionKeys,
    currentEncryptionKey: () => encryptionKeys[0]!,
    findEncryptionKey: (id) => encryptionKeys.find((k) => bytesEqual(k.id, id)),
    rotateEncryptionKey(options = {}) {
      const at = options.now ?? Date.now()
      const old = encryptionKeys[0]
      if (old !== undefined) old.retiredAt = at
      const fresh = makeEncryptionKeyPair(signer, engine.randomBytes(32), at, engine)
      encryptionKeys.unshift(fresh)
      return fresh
    },
    purgeRetiredKeys(options = {}) {
      const at = options.now ?? Date.now()
      const grace = options.graceMs ?? DEFAULT_KEY_GRACE_MS
      const before = encryptionKeys.length
      for (let i = encryptionKeys.length - 1; i >= 1; i--) {
        const r = encryptionKeys[i]!.retiredAt
        if (r !== undefined && r + grace <= at) encryptionKeys.splice(i, 1)
      }
      return before - encryptionKeys.length
    }
  }
  return identity
}
