import { base32 } from 'multiformats/bases/base32'
import { bytesEqual } from '../codec/index.ts'
import { REGISTRY_KID_BYTES, SIG_TYPE_ROOT } from '../constants.ts'
import type { CryptoEngine, Signer } from '../crypto/index.ts'
import { getEngine, signTyped, verifyTyped } from '../crypto/index.ts'
import { RootChainError } from '../errors.ts'
import { type KeySignature, type Role, RootChain, RootMetadata, SignedRoot } from './formats.ts'

/** A registry key id: the first 8 bytes of SHA-256 of the Ed25519 public key. */
export function registryKeyId(publicKey: Uint8Array, engine: CryptoEngine = getEngine()): Uint8Array {
  return engine.sha256(publicKey).slice(0, REGISTRY_KID_BYTES)
}

/** The registry id: base32 of the first 16 bytes of SHA-256 of root version 1's signed bytes. */
export function registryIdOf(rootV1Payload: Uint8Array, engine: CryptoEngine = getEngine()): string {
  return base32.baseEncode(engine.sha256(rootV1Payload).slice(0, 16))
}

/** A registry key with its signer. */
export interface RegistryKeyPair {
  kid: Uint8Array
  publicKey: Uint8Array
  signer: Signer
}

export function registryKeyPair(seed: Uint8Array, engine: CryptoEngine = getEngine()): RegistryKeyPair {
  const signer = engine.signer(seed)
  return { kid: registryKeyId(signer.publicKey, engine), publicKey: signer.publicKey, signer }
}

/** Sign root metadata with every given key (each must be one of the keys the metadata or its predecessor names). */
export function signRoot(meta: RootMetadata, signers: RegistryKeyPair[]): Uint8Array {
  const payload = RootMetadata.encode(meta)
  const signatures: KeySignature[] = signers.map((k) => ({
    kid: k.kid,
    signature: signTyped(k.signer, SIG_TYPE_ROOT, payload)
  }))
  return SignedRoot.encode({ payload, signatures })
}

/** Keys of a root by kid (hex). */
export function rootKeys(meta: RootMetadata): Map<string, Uint8Array> {
  return new Map(meta.keys.map((k) => [Buffer.from(k.kid).toString('hex'), k.publicKey]))
}

/** How many distinct keys of `role` (looked up in `keys`) signed `payload`. */
export function countRoleSignatures(
  type: string,
  payload: Uint8Array,
  signatures: readonly KeySignature[],
  role: Role,
  keys: Map<string, Uint8Array>,
  engine: CryptoEngine = getEngine()
): number {
  const allowed = new Set(role.kids.map((k) => Buffer.from(k).toString('hex')))
  const counted = new Set<string>()
  for (const s of signatures) {
    const kid = Buffer.from(s.kid).toString('hex')
    if (!allowed.has(kid) || counted.has(kid)) continue
    const key = keys.get(kid)
    if (key === undefined) continue
    if (verifyTyped(type, payload, s.signature, key, engine)) counted.add(kid)
  }
  return counted.size
}

function checkRoleShape(meta: RootMetadata, name: 'root' | 'issuer' | 'status'): void {
  const role = meta[name]
  const keys = rootKeys(meta)
  if (role.threshold < 1 || role.threshold > role.kids.length) {
    throw new RootChainError(
      `root v${meta.rootVersion}: ${name} threshold ${role.threshold} of ${role.kids.length} keys`,
      'shape'
    )
  }
  for (const kid of role.kids) {
    if (!keys.has(Buffer.from(kid).toString('hex'))) {
      throw new RootChainError(`root v${meta.rootVersion}: ${name} names a key it does not list`, 'shape')
    }
  }
}

/** A root chain that checked out. */
export interface VerifiedChain {
  registryId: string
  /** Every root, version 1 first. */
  roots: RootMetadata[]
  latest: RootMetadata
  /** The RootChain bytes. */
  bytes: Uint8Array
}

/**
 * Walk a root chain from version 1 (the TUF rule): version 1 is signed by a threshold of its own
 * root keys; version N+1 by a threshold of N's root keys AND a threshold of its own, and its
 * version is exactly N+1. A root signed only by new keys is refused. Expiry is the caller's
 * concern (an expired latest root means no badge). Throws RootChainError.
 */
export function verifyRootChain(
  bytes: Uint8Array,
  options: { expectedRegistryId?: string; engine?: CryptoEngine } = {}
): VerifiedChain {
  const engine = options.engine ?? getEngine()
  let signed: Array<ReturnType<typeof SignedRoot.decode>>
  try {
    signed = RootChain.decode(bytes).roots.map((r) => SignedRoot.decode(r))
  } catch (err) {
    throw new RootChainError(`malformed root chain: ${(err as Error).message}`, 'malformed')
  }
  if (signed.length === 0) throw new RootChainError('empty root chain', 'malformed')
  const roots: RootMetadata[] = []
  let previous: RootMetadata | undefined
  for (const [i, s] of signed.entries()) {
    let meta: RootMetadata
    try {
      meta = RootMetadata.decode(s.payload)
    } catch (err) {
      throw new RootChainError(`malformed root v${i + 1}: ${(err as Error).message}`, 'malformed')
    }
    if (meta.rootVersion !== i + 1)
      throw new RootChainError(`root ${i} has version ${meta.rootVersion}, expected ${i + 1}`, 'version')
    checkRoleShape(meta, 'root')
    checkRoleShape(meta, 'issuer')
    checkRoleShape(meta, 'status')
    const own = countRoleSignatures(SIG_TYPE_ROOT, s.payload, s.signatures, meta.root, rootKeys(meta), engine)
    if (own < meta.root.threshold) {
      throw new RootChainError(
        `root v${meta.rootVersion} lacks a threshold of its own root keys (${own}/${meta.root.threshold})`,
        'threshold'
      )
    }
    if (previous !== undefined) {
      const old = countRoleSignatures(SIG_TYPE_ROOT, s.payload, s.signatures, previous.root, rootKeys(previous), engine)
      if (old < previous.root.threshold) {
        throw new RootChainError(
          `root v${meta.rootVersion} is not signed by a threshold of v${previous.rootVersion}'s root keys (${old}/${previous.root.threshold})`,
          'threshold'
        )
      }
    }
    roots.push(meta)
    previous = meta
  }
  const registryId = registryIdOf(signed[0]!.payload, engine)
  if (options.expectedRegistryId !== undefined && registryId !== options.expectedRegistryId) {
    throw new RootChainError(`root chain is for registry ${registryId}, not ${options.expectedRegistryId}`, 'registry')
  }
  return { registryId, roots, latest: roots[roots.length - 1]!, bytes }
}

/** A chain's bytes from its signed roots. */
export function encodeRootChain(signedRoots: Uint8Array[]): Uint8Array {
  return RootChain.encode({ roots: signedRoots })
}

/** True if `b` extends `a` (same registry, same first versions, more of them). */
export function chainExtends(a: VerifiedChain, b: VerifiedChain): boolean {
  if (a.registryId !== b.registryId || b.roots.length < a.roots.length) return false
  const ra = RootChain.decode(a.bytes).roots
  const rb = RootChain.decode(b.bytes).roots
  return ra.every((r, i) => bytesEqual(r, rb[i]!))
}
