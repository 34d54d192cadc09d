/**
 * The registry log's RFC 6962 hashing against the Certificate Transparency reference vectors
 * (tree heads for sizes 0..8 and audit paths), against an independent straightforward
 * implementation for every size up to 40, and audit paths that must NOT verify.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { inclusionProof, leafHash, nodeHash, treeHead, verifyInclusion } from '../../src/registry/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** The CT reference leaves (certificate-transparency merkle tree tests). */
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f'
].map(unhex)
/** MTH of the first n leaves, n = 0..8. */
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]
/** Audit paths: leaf index (0-based), tree size, path. */
const CT_PATHS: Array<{ index: number; size: number; path: string[] }> = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'
    ]
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'
    ]
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'
    ]
  }
]

// --- an independent, straightforward RFC 6962 implementation (node:crypto, recursion as written in §2.1) ---
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}
const refLeaf = (d: Uint8Array): Uint8Array => sha(Uint8Array.of(0), d)
/** Largest power of two strictly smaller than n. */
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1))
function refMth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha()
  if (d.length === 1) return refLeaf(d[0]!)
  const k = split(d.length)
  return sha(Uint8Array.of(1), refMth(d.slice(0, k)), refMth(d.slice(k)))
}
function refPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return []
  const k = split(d.length)
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))]
}

describe('registry log: RFC 6962 hashing', () => {
  const hashes = CT_LEAVES.map((d) => leafHash(d))

  it('leaf and node hashes use the 0x00 and 0x01 prefixes', () => {
    assert.equal(hex(leafHash(new Uint8Array(0))), CT_ROOTS[1])
    assert.equal(hex(leafHash(Uint8Array.of(0))), '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7')
    assert.equal(hex(nodeHash(hashes[0]!, hashes[1]!)), CT_ROOTS[2])
    // the order of children matters
    assert.notEqual(hex(nodeHash(hashes[1]!, hashes[0]!)), CT_ROOTS[2])
  })

  it('tree heads match the CT reference roots for sizes 0..8 (the empty tree is SHA-256 of nothing)', () => {
    for (let n = 0; n <= 8; n++) assert.equal(hex(treeHead(hashes.slice(0, n))), CT_ROOTS[n], `size ${n}`)
  })

  it('audit paths match the CT reference paths and verify; the same paths with a wrong index, size, leaf or root do not', () => {
    for (const v of CT_PATHS) {
      const leaves = hashes.slice(0, v.size)
      const root = unhex(CT_ROOTS[v.size]!)
      const path = inclusionProof(leaves, v.index)
      assert.deepEqual(path.map(hex), v.path, `path of ${v.index} in ${v.size}`)
      const leaf = hashes[v.index]!
      assert.equal(verifyInclusion(leaf, v.index, v.size, path, root), true)
      // corruptions from the CT verifier tests
      const wrong: Array<[string, Uint8Array, number, number, Uint8Array[], Uint8Array]> = [
        ['index - 1', leaf, v.index - 1, v.size, path, root],
        ['index + 1', leaf, v.index + 1, v.size, path, root],
        ['index ^ 2', leaf, v.index ^ 2, v.size, path, root],
        ['size * 2', leaf, v.index, v.size * 2, path, root],
        ['size / 2', leaf, v.index, Math.floor(v.size / 2), path, root],
        ['wrong leaf', leafHash(new TextEncoder().encode('WrongLeaf')), v.index, v.size, path, root],
        ['empty root', leaf, v.index, v.size, path, unhex(CT_ROOTS[0]!)],
        ['trailing garbage', leaf, v.index, v.size, [...path, new Uint8Array(0)], root],
        ['trailing root', leaf, v.index, v.size, [...path, root], root],
        ['preceding garbage', leaf, v.index, v.size, [new Uint8Array(0), ...path], root],
        ['preceding root', leaf, v.index, v.size, [root, ...path], root]
      ]
      for (let i = 0; i < path.length; i++) {
        const p = path.map((x) => Uint8Array.from(x))
        p[i]![0] = p[i]![0]! ^ 8
        wrong.push([`proof[${i}] bit 3`, leaf, v.index, v.size, p, root])
      }
      if (path.length > 0) wrong.push(['removed component', leaf, v.index, v.size, path.slice(0, -1), root])
      if (path.length > 1)
        wrong.push(['inserted component', leaf, v.index, v.size, [path[0]!, sha(), ...path.slice(1)], root])
      for (const [what, l, index, size, p, r] of wrong) {
        assert.equal(verifyInclusion(l, index, size, p, r), false, `${what} (leaf ${v.index} of ${v.size})`)
      }
    }
  })

  it('agrees with an independent implementation for every size up to 40: every leaf verifies, at no other index', () => {
    const data = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`entry ${i}`))
    const leaves = data.map((d) => leafHash(d))
    for (let n = 1; n <= data.length; n++) {
      const tree = leaves.slice(0, n)
      const root = treeHead(tree)
      assert.equal(hex(root), hex(refMth(data.slice(0, n))), `head of ${n}`)
      for (let i = 0; i < n; i++) {
        const path = inclusionProof(tree, i)
        assert.deepEqual(path.map(hex), refPath(i, data.slice(0, n)).map(hex), `path of ${i} in ${n}`)
        assert.equal(verifyInclusion(tree[i]!, i, n, path, root), true, `leaf ${i} of ${n}`)
        // the right leaf at the wrong index, or another leaf at this index
        if (n > 1) {
          assert.equal(verifyInclusion(tree[i]!, (i + 1) % n, n, path, root), false)
          assert.equal(verifyInclusion(tree[(i + 1) % n]!, i, n, path, root), false)
        }
      }
    }
  })

  it('refuses impossible positions: index at or past the size, a negative index, an empty tree', () => {
    const tree = hashes.slice(0, 5)
    const root = treeHead(tree)
    const path = inclusionProof(tree, 4)
    assert.equal(verifyInclusion(tree[4]!, 5, 5, path, root), false)
    assert.equal(verifyInclusion(tree[4]!, -1, 5, path, root), false)
    assert.equal(verifyInclusion(tree[0]!, 0, 0, [], unhex(CT_ROOTS[0]!)), false)
    // a one-leaf tree has an empty path: only index 0 may use it
    const one = treeHead(tree.slice(0, 1))
    assert.equal(verifyInclusion(tree[0]!, 0, 1, [], one), true)
    for (const index of [-1, -2, 0.5, Number.NaN, 1]) {
      assert.equal(verifyInclusion(tree[0]!, index, 1, [], one), false, `index ${index}`)
    }
    assert.equal(verifyInclusion(tree[0]!, 0, 1.5, [], one), false)
    assert.throws(() => inclusionProof(tree, 5), RangeError)
    assert.throws(() => inclusionProof(tree, -1), RangeError)
    assert.throws(() => inclusionProof([], 0), RangeError)
  })
})
