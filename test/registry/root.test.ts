/**
 * Root metadata chains (the TUF rule) and a node's trust in them: version 1 signed by a threshold
 * of its own root keys; N+1 by a threshold of N's AND of its own; no skipped or repeated version;
 * no chain of another registry; a node follows a chain that extends the one it holds, also when
 * the chain arrives inside a status record, and refuses one that forks it.
 */
import assert from 'node:assert/strict'
import { RootChainError, StatusListError } from '../../src/errors.ts'
import {
  chainExtends,
  createTrust,
  encodeRootChain,
  REGISTRY_ID_PATTERN,
  RootMetadataSchema,
  registryIdOf,
  verifyAttestation,
  verifyRootChain
} from '../../src/registry/index.ts'
import { business, flipBit, indexOf, key, NOW, rootMeta, signedRoot, TestRegistry } from './fixtures.ts'

/** Run `fn` and return the RootChainError it throws (fails if it does not). */
function chainError(fn: () => unknown): RootChainError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof RootChainError, `expected RootChainError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a RootChainError')
}

describe('registry roots: the TUF rule', () => {
  it('version 1 signed by 2 of its 3 root keys verifies; the registry id is base32 of SHA-256 of v1 (16 bytes)', () => {
    const reg = new TestRegistry()
    const v = verifyRootChain(reg.chain())
    assert.equal(v.registryId, reg.registryId)
    assert.match(v.registryId, REGISTRY_ID_PATTERN)
    assert.equal(v.registryId, registryIdOf(RootMetadataSchema.encode(reg.metas[0]!)))
    assert.equal(v.latest.rootVersion, 1)
    assert.equal(v.roots.length, 1)
    assert.equal(verifyRootChain(reg.chain(), { expectedRegistryId: reg.registryId }).registryId, reg.registryId)
  })

  it('version 1 with fewer than the threshold of its root keys is refused: one key, one key twice, a non-root key', () => {
    const keys = { root: [key(), key(), key()], issuer: [key()], status: [key()] }
    const meta = rootMeta(1, keys)
    const cases = {
      'one root key': [keys.root[0]!],
      'the same root key twice': [keys.root[0]!, keys.root[0]!],
      'a root key and the issuing key': [keys.root[0]!, keys.issuer[0]!],
      'a root key and an outsider': [keys.root[0]!, key()],
      'no signature': []
    }
    for (const [what, signers] of Object.entries(cases)) {
      const err = chainError(() => verifyRootChain(encodeRootChain([signedRoot(meta, signers)])))
      assert.equal(err.detail, 'threshold', what)
    }
    // and two distinct root keys pass
    assert.equal(verifyRootChain(encodeRootChain([signedRoot(meta, keys.root.slice(1))])).latest.rootVersion, 1)
  })

  it('a single flipped bit in a signature or in the signed metadata breaks version 1', () => {
    const reg = new TestRegistry()
    const signed = reg.roots[0]!
    // the first signature's bytes, and a byte inside the payload (the registry name)
    const sigAt = indexOf(signed, reg.roots[0]!.slice(-64))
    const nameAt = indexOf(signed, new TextEncoder().encode('Test Registry'))
    assert.ok(sigAt > 0 && nameAt > 0)
    for (const bit of [sigAt * 8, sigAt * 8 + 13, (sigAt + 63) * 8 + 7, nameAt * 8 + 1]) {
      assert.throws(() => verifyRootChain(encodeRootChain([flipBit(signed, bit)])), RootChainError, `bit ${bit}`)
    }
  })

  it('rotation N → N+1 signed by 2 old and 2 new root keys is accepted, and again to N+2', () => {
    const reg = new TestRegistry()
    reg.rotate()
    reg.rotate({ issuer: true })
    const v = verifyRootChain(reg.chain())
    assert.equal(v.registryId, reg.registryId, 'the registry id stays that of version 1')
    assert.deepEqual(
      v.roots.map((r) => r.rootVersion),
      [1, 2, 3]
    )
    assert.deepEqual(v.latest.issuer.kids, [reg.issuer.kid])
  })

  it('root N+1 signed only by the new keys is refused (a thief of the issuing key cannot crown itself)', () => {
    const reg = new TestRegistry()
    const { signed } = reg.rotate({ sign: (_old, fresh) => fresh, append: false })
    const err = chainError(() => verifyRootChain(encodeRootChain([reg.roots[0]!, signed])))
    assert.equal(err.detail, 'threshold')
    assert.match(err.message, /v1's root keys \(0\/2\)/)
  })

  it('root N+1 without a threshold of either side is refused: old keys only, 1 old + 3 new, 2 old + 1 new', () => {
    const reg = new TestRegistry()
    const cases = {
      'old keys only': (old: typeof reg.keys.root) => old,
      '1 old + 3 new': (old: typeof reg.keys.root, fresh: typeof reg.keys.root) => [old[0]!, ...fresh],
      '2 old + 1 new': (old: typeof reg.keys.root, fresh: typeof reg.keys.root) => [old[0]!, old[1]!, fresh[0]!],
      '2 old + the new issuing key': (old: typeof reg.keys.root) => [...old.slice(0, 2), reg.issuer]
    }
    for (const [what, sign] of Object.entries(cases)) {
      const { signed } = reg.rotate({ sign, append: false })
      const err = chainError(() => verifyRootChain(encodeRootChain([reg.roots[0]!, signed])))
      assert.equal(err.detail, 'threshold', what)
    }
  })

  it('a skipped or repeated version is refused, even when properly signed', () => {
    const reg = new TestRegistry()
    const skip = reg.rotate({ version: 3, append: false })
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([reg.roots[0]!, skip.signed]))).detail, 'version')
    const repeat = reg.rotate({ version: 1, append: false })
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([reg.roots[0]!, repeat.signed]))).detail, 'version')
    // a chain that does not start at version 1
    reg.rotate()
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([reg.roots[1]!]))).detail, 'version')
  })

  it('a chain of another registry is refused when a registry id is expected; a spliced chain is refused outright', () => {
    const a = new TestRegistry()
    const b = new TestRegistry()
    assert.notEqual(a.registryId, b.registryId)
    const err = chainError(() => verifyRootChain(b.chain(), { expectedRegistryId: a.registryId }))
    assert.equal(err.detail, 'registry')
    // b's version 2 after a's version 1: b's old keys are not a's
    b.rotate()
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([a.roots[0]!, b.roots[1]!]))).detail, 'threshold')
  })

  it('malformed or badly shaped roots are refused with a typed error', () => {
    assert.equal(chainError(() => verifyRootChain(new Uint8Array([1, 2, 3]))).detail, 'malformed')
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([]))).detail, 'malformed')
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([new Uint8Array([0xa0])]))).detail, 'malformed')
    const keys = { root: [key(), key(), key()], issuer: [key()], status: [key()] }
    const zero = { ...rootMeta(1, keys), issuer: { kids: [keys.issuer[0]!.kid], threshold: 0 } }
    assert.equal(
      chainError(() => verifyRootChain(encodeRootChain([signedRoot(zero, keys.root)]))).detail,
      'shape',
      'threshold 0'
    )
    const tooHigh = { ...rootMeta(1, keys), root: { kids: keys.root.map((k) => k.kid), threshold: 4 } }
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([signedRoot(tooHigh, keys.root)]))).detail, 'shape')
    const unlisted = { ...rootMeta(1, keys), status: { kids: [key().kid], threshold: 1 } }
    assert.equal(chainError(() => verifyRootChain(encodeRootChain([signedRoot(unlisted, keys.root)]))).detail, 'shape')
  })
})

describe('registry roots: a node trusting them', () => {
  it('trusts a root file, follows a chain that extends it, ignores an older one, refuses a fork', () => {
    const reg = new TestRegistry()
    const trust = createTrust()
    assert.deepEqual(trust.addRoot(reg.chain(), NOW), {
      registryId: reg.registryId,
      rootVersion: 1,
      added: true,
      updated: false
    })
    const v0 = trust.version
    reg.rotate()
    assert.deepEqual(trust.addRoot(reg.chain(), NOW), {
      registryId: reg.registryId,
      rootVersion: 2,
      added: false,
      updated: true
    })
    assert.equal(trust.root(reg.registryId)?.rootVersion, 2)
    assert.ok(trust.version > v0, 'trust.version moves so cached verdicts recompute')
    // the v1 file again: nothing changes, the node stays at 2
    assert.deepEqual(trust.addRoot(reg.chain(1), NOW), {
      registryId: reg.registryId,
      rootVersion: 2,
      added: false,
      updated: false
    })
    assert.equal(trust.root(reg.registryId)?.rootVersion, 2)
    // two properly signed but different version 2 roots (v1's root keys signed both): a fork
    const reg2 = new TestRegistry()
    const forkA = reg2.rotate({ append: false })
    const forkB = reg2.rotate({ append: false })
    const t2 = createTrust()
    t2.addRoot(encodeRootChain([reg2.roots[0]!, forkA.signed]), NOW)
    assert.equal(
      chainError(() => t2.addRoot(encodeRootChain([reg2.roots[0]!, forkB.signed]), NOW)).detail,
      'conflict',
      'same length, different version 2'
    )
    // B's own version 3 on top of B: longer, valid on its own, but it does not extend A
    const b3 = signedRoot(rootMeta(3, forkB.keys), forkB.keys.root.slice(0, 2))
    const forkChain = encodeRootChain([reg2.roots[0]!, forkB.signed, b3])
    assert.equal(verifyRootChain(forkChain).latest.rootVersion, 3)
    assert.equal(chainError(() => t2.addRoot(forkChain, NOW)).detail, 'conflict')
    assert.equal(t2.root(reg2.registryId)?.rootVersion, 2)
  })

  it('the trust file round-trips: registries, root versions and status lists come back', () => {
    const reg = new TestRegistry()
    const trust = createTrust()
    trust.addRoot(reg.chain(), NOW)
    reg.rotate()
    trust.addRoot(reg.chain(), NOW)
    trust.importStatus(reg.status().record)
    const again = createTrust(trust.encode())
    assert.deepEqual(again.list(), trust.list())
    assert.equal(again.root(reg.registryId)?.rootVersion, 2)
    assert.equal(again.status(reg.registryId)?.seq, 1)
    assert.equal(again.remove(reg.registryId), true)
    assert.equal(again.has(reg.registryId), false)
    assert.equal(again.remove(reg.registryId), false)
  })

  it('a newer root chain carried in a status record is followed: the rotated-out issuing key stops verifying', () => {
    const reg = new TestRegistry()
    const biz = business()
    const old = reg.issue(biz.peerId, 'Acme Bank')
    const trust = createTrust()
    trust.addRoot(reg.chain(), NOW)
    trust.importStatus(reg.status().record)
    const verify = (bundle: Uint8Array) => verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + 1000 })
    assert.equal(verify(old.bundle).status, 'verified')

    // the registry rotates its root and its issuing key; nodes hear of it through the next status list
    reg.rotate({ issuer: true })
    const r = trust.importStatus(reg.status().record)
    assert.equal(r.changed, true)
    assert.equal(trust.root(reg.registryId)?.rootVersion, 2)
    const stale = verify(old.bundle)
    assert.equal(stale.status, 'invalid')
    assert.match(stale.reason ?? '', /issuing key/)
    // reissued under the new issuing key: verified again
    assert.equal(verify(reg.issue(biz.peerId, 'Acme Bank').bundle).status, 'verified')
  })

  it('a status list signed under an older root than the one held is refused', () => {
    const reg = new TestRegistry()
    const trust = createTrust()
    trust.addRoot(reg.chain(), NOW)
    const underV1 = reg.status()
    reg.rotate({ status: true })
    trust.addRoot(reg.chain(), NOW)
    assert.throws(
      () => trust.importStatus(underV1.record),
      (err: unknown) => err instanceof StatusListError && err.detail === 'old-root'
    )
  })

  it('a status record whose chain forks the held one is refused, also at the same root version', () => {
    // two version 2 roots signed by the v1 root keys (stolen old root keys, or an equivocating
    // registry): a node at version 2 (A) must not take a status list signed under version 2 (B)
    const reg = new TestRegistry()
    const trust = createTrust()
    const a = reg.rotate({ status: true, append: false })
    const b = reg.rotate({ status: true, append: false })
    const chainA = encodeRootChain([reg.roots[0]!, a.signed])
    const chainB = encodeRootChain([reg.roots[0]!, b.signed])
    trust.addRoot(chainA, NOW)
    const underB = reg.status({ key: b.keys.status[0]!, chain: chainB })
    assert.throws(
      () => trust.importStatus(underB.record),
      (err: unknown) => err instanceof StatusListError && err.detail === 'conflict'
    )
    assert.equal(trust.status(reg.registryId), undefined)
    // a longer fork (B, then B's version 3) is refused too
    const b3 = signedRoot(rootMeta(3, b.keys), b.keys.root.slice(0, 2))
    const underB3 = reg.status({ key: b.keys.status[0]!, chain: encodeRootChain([reg.roots[0]!, b.signed, b3]) })
    assert.throws(
      () => trust.importStatus(underB3.record),
      (err: unknown) => err instanceof StatusListError && err.detail === 'conflict'
    )
    // while A's own status list is taken
    assert.equal(trust.importStatus(reg.status({ key: a.keys.status[0]!, chain: chainA }).record).changed, true)
    assert.equal(chainExtends(verifyRootChain(reg.chain(1)), verifyRootChain(chainA)), true)
  })
})
