import type { CryptoEngine } from '../crypto/index.ts'
import { concat, getEngine } from '../crypto/index.ts'

/**
 * RFC 6962 Merkle tree hashing for the registry's append-only log:
 * leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right),
 * split at the largest power of two smaller than n; the empty tree hashes to SHA-256("").
 */
export function leafHash(entry: Uint8Array, engine: CryptoEngine = getEngine()): Uint8Array {
  return engine.sha256(concat(Uint8Array.of(0), entry))
}

export function nodeHash(left: Uint8Array, right: Uint8Array, engine: CryptoEngine = getEngine()): Uint8Array {
  return engine.sha256(concat(Uint8Array.of(1), left, right))
}

/** The Merkle tree head of these leaf hashes (MTH in RFC 6962 §2.1). */
export function treeHead(leaves: readonly Uint8Array[], engine: CryptoEngine = getEngine()): Uint8Array {
  if (leaves.length === 0) return engine.sha256(new Uint8Array(0))
  const mth = (from: number, to: number): Uint8Array => {
    const n = to - from
    if (n === 1) return leaves[from]!
    let k = 1
    while (k * 2 < n) k *= 2
    return nodeHash(mth(from, from + k), mth(from + k, to), engine)
  }
  return mth(0, leaves.length)
}

/** The audit path of leaf `index` in a tree of these leaves (RFC 6962 §2.1.1). */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  engine: CryptoEngine = getEngine()
): Uint8Array[] {
  const path = (m: number, from: number, to: number): Uint8Array[] => {
    const n = to - from
    if (n <= 1) return []
    let k = 1
    while (k * 2 < n) k *= 2
    return m < k
      ? [...path(m, from, from + k), treeHead(leaves.slice(from + k, to), engine)]
      : [...path(m - k, from + k, to), treeHead(leaves.slice(from, from + k), engine)]
  }
  if (index < 0 || index >= leaves.length) throw new RangeError('leaf index out of range')
  return path(index, 0, leaves.length)
}

/** Check an audit path (RFC 9162 §2.1.3.2). */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  engine: CryptoEngine = getEngine()
): boolean {
  // whole positions inside the tree only: a negative or fractional index would pass an empty path
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r, engine)
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1
        sn >>= 1
      }
    } else {
      r = nodeHash(r, p, engine)
    }
    fn >>= 1
    sn >>= 1
  }
  return sn === 0 && Buffer.compare(r, root) === 0
}
