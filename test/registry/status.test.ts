/**
 * Status lists: signed by the status role only, at most 48 hours of life, self-validating
 * records for the DHT (the validator refuses forged or inconsistent ones, the selector keeps the
 * highest sequence), and a node's import rules: never a lower sequence, never two lists with one
 * number, not even after a restart.
 */
import assert from 'node:assert/strict'
import { MAX_STATUS_LIFETIME_MS, SIG_TYPE_ATTESTATION, SIG_TYPE_STATUS } from '../../src/constants.ts'
import { signTyped } from '../../src/crypto/index.ts'
import { createRecordRules, recordKey } from '../../src/directory/index.ts'
import { RecordRejectedError, RootChainError, StatusListError } from '../../src/errors.ts'
import {
  createStatusRecord,
  createTrust,
  encodeRootChain,
  isRevoked,
  SignedStatus,
  type StatusList,
  StatusListSchema,
  StatusRecord,
  signStatusList,
  statusRecordKind,
  verifyAttestation,
  verifyStatusList,
  verifyStatusRecord
} from '../../src/registry/index.ts'
import { business, DAY, flipBit, HOUR, key, NOW, TestRegistry } from './fixtures.ts'

/** The StatusListError (with `detail`) thrown by `fn`. */
function statusError(fn: () => unknown): StatusListError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof StatusListError, `expected StatusListError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a StatusListError')
}

/** A status list signed without signStatusList's checks (to build lists a registry would refuse to sign). */
function rawSigned(list: StatusList, signer = key('outsider'), type = SIG_TYPE_STATUS): Uint8Array {
  const payload = StatusListSchema.encode(list)
  return SignedStatus.encode({
    payload,
    signature: { kid: signer.kid, signature: signTyped(signer.signer, type, payload) }
  })
}

describe('registry status lists', () => {
  it('signed by the status key and checked under the current root; revoked serials are found', () => {
    const reg = new TestRegistry()
    const serials = [key().kid, key().kid].map((k) => Uint8Array.from([...k, ...k]))
    const s = reg.status({ revoked: serials })
    const list = verifyStatusList(s.signed, reg.latest, reg.registryId)
    assert.equal(list.seq, 1)
    assert.equal(list.nextUpdate - list.issuedAt, DAY)
    for (const serial of serials) assert.equal(isRevoked(list, serial), true)
    assert.equal(isRevoked(list, new Uint8Array(16)), false)
    // signing sorts the serials, so two registries' lists of the same set are byte-identical
    const again = reg.status({ revoked: [...serials].reverse(), seq: 1 })
    assert.deepEqual(again.signed, s.signed)
  })

  it('refuses a list signed by another key, under another type, of another registry, or living past 48 hours', () => {
    const reg = new TestRegistry()
    const list: StatusList = {
      registryId: reg.registryId,
      seq: 1,
      issuedAt: NOW,
      nextUpdate: NOW + DAY,
      revoked: []
    }
    const cases: Record<string, [Uint8Array, string]> = {
      'the issuing key': [rawSigned(list, reg.issuer), 'signature'],
      'a root key': [rawSigned(list, reg.keys.root[0]!), 'signature'],
      'an outsider': [rawSigned(list), 'signature'],
      'the status key over the attestation type': [rawSigned(list, reg.statusKey, SIG_TYPE_ATTESTATION), 'signature'],
      'another registry': [
        rawSigned({ ...list, registryId: new TestRegistry().registryId }, reg.statusKey),
        'registry'
      ],
      '48 hours and a millisecond': [
        rawSigned({ ...list, nextUpdate: NOW + MAX_STATUS_LIFETIME_MS + 1 }, reg.statusKey),
        'lifetime'
      ],
      'next update before issued': [rawSigned({ ...list, nextUpdate: NOW }, reg.statusKey), 'lifetime'],
      garbage: [new Uint8Array([0xa1, 0, 1]), 'malformed']
    }
    for (const [what, [bytes, detail]] of Object.entries(cases)) {
      assert.equal(statusError(() => verifyStatusList(bytes, reg.latest, reg.registryId)).detail, detail, what)
    }
    // exactly 48 hours is allowed
    const max = rawSigned({ ...list, nextUpdate: NOW + MAX_STATUS_LIFETIME_MS }, reg.statusKey)
    assert.equal(verifyStatusList(max, reg.latest, reg.registryId).seq, 1)
    // and the registry side refuses to sign the bad lifetimes in the first place
    assert.throws(
      () => signStatusList({ ...list, nextUpdate: NOW + MAX_STATUS_LIFETIME_MS + 1 }, reg.statusKey),
      StatusListError
    )
    assert.throws(() => signStatusList({ ...list, nextUpdate: NOW }, reg.statusKey), StatusListError)
  })

  it('a status record proves itself: its chain from version 1, its list under the latest root', () => {
    const reg = new TestRegistry()
    const s = reg.status()
    const v = verifyStatusRecord(s.record, { expectedRegistryId: reg.registryId })
    assert.equal(v.chain.registryId, reg.registryId)
    assert.equal(v.status.seq, 1)
    // after rotating the status key, a list signed by the old key under the new chain is refused
    reg.rotate({ status: true })
    const oldKey = reg.status({ key: key('retired-status') })
    assert.equal(statusError(() => verifyStatusRecord(oldKey.record)).detail, 'signature')
    // a chain that is not the registry's
    assert.throws(() => verifyStatusRecord(createStatusRecord(new TestRegistry().chain(), s.signed)), StatusListError)
    assert.throws(() => verifyStatusRecord(createStatusRecord(new Uint8Array([1]), s.signed)), RootChainError)
  })

  describe('a node importing them', () => {
    it('takes increasing sequences, refuses a lower one (rollback) and a different list with the same number', () => {
      const reg = new TestRegistry()
      const biz = business()
      const { bundle, serial } = reg.issue(biz.peerId, 'Acme Bank')
      const trust = createTrust()
      trust.addRoot(reg.chain(), NOW)
      const s1 = reg.status()
      const s2 = reg.status({ revoked: [serial] })
      const v0 = trust.version
      assert.deepEqual(trust.importStatus(s2.record), { registryId: reg.registryId, seq: 2, changed: true })
      assert.ok(trust.version > v0)
      // the list without the revocation, replayed by an eclipsing peer: refused
      const rollback = statusError(() => trust.importStatus(s1.record))
      assert.equal(rollback.detail, 'rollback')
      assert.match(rollback.message, /holds 2/)
      assert.equal(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW }).status, 'revoked')
      // the same list again: fine, nothing changes
      const v1 = trust.version
      assert.deepEqual(trust.importStatus(s2.record), { registryId: reg.registryId, seq: 2, changed: false })
      assert.equal(trust.version, v1)
      // another list numbered 2 (without the revocation): a conflict, refused
      const other2 = reg.status({ seq: 2, now: NOW + 1 })
      assert.equal(statusError(() => trust.importStatus(other2.record)).detail, 'conflict')
      assert.equal(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW }).status, 'revoked')
      // the same list 2 re-wrapped with a newer chain is not a conflict (the list bytes are equal)
      reg.rotate()
      assert.equal(trust.importStatus(createStatusRecord(reg.chain(), s2.signed)).changed, true, 'root followed')
      assert.equal(trust.root(reg.registryId)?.rootVersion, 2)
    })

    it('remembers the sequence across a restart (the trust file): a rollback is still refused', () => {
      const reg = new TestRegistry()
      const trust = createTrust()
      trust.addRoot(reg.chain(), NOW)
      const s1 = reg.status()
      reg.status()
      const s3 = reg.status({ revoked: [new Uint8Array(16).fill(7)] })
      trust.importStatus(s3.record)
      const restarted = createTrust(trust.encode())
      assert.equal(restarted.status(reg.registryId)?.seq, 3)
      assert.equal(statusError(() => restarted.importStatus(s1.record)).detail, 'rollback')
      assert.deepEqual(restarted.statusRecord(reg.registryId), s3.record)
      assert.equal(restarted.list()[0]?.status?.revoked, 1)
    })

    it('refuses a list for a registry it does not trust', () => {
      const reg = new TestRegistry()
      const trust = createTrust()
      trust.addRoot(new TestRegistry().chain(), NOW)
      assert.equal(statusError(() => trust.importStatus(reg.status().record)).detail, 'untrusted')
      assert.equal(trust.status(reg.registryId), undefined)
    })

    it('refuses forged and damaged records without changing what it holds', () => {
      const reg = new TestRegistry()
      const trust = createTrust()
      trust.addRoot(reg.chain(), NOW)
      trust.importStatus(reg.status().record)
      const forged = createStatusRecord(reg.chain(), rawSigned({ ...reg.status().list, seq: 99 }))
      assert.throws(() => trust.importStatus(forged), StatusListError)
      const good = reg.status({ seq: 50 }).record
      for (const bit of [good.byteLength * 8 - 1, (good.byteLength - 70) * 8, 40 * 8 + 3]) {
        assert.throws(
          () => trust.importStatus(flipBit(good, bit)),
          (err: unknown) => err instanceof Error,
          `bit ${bit}`
        )
      }
      assert.equal(trust.status(reg.registryId)?.seq, 1)
    })
  })

  describe('in the DHT (/parley/status/<registryId>)', () => {
    const rules = createRecordRules({ status: statusRecordKind })

    it('the validator takes a good record under its own registry id', () => {
      const reg = new TestRegistry()
      const { record } = reg.status()
      assert.doesNotThrow(() => rules.validate(recordKey('status', reg.registryId), record))
      assert.doesNotThrow(() => statusRecordKind.validate(reg.registryId, record))
    })

    it('the validator refuses forged, inconsistent, damaged and oversized records', async () => {
      const reg = new TestRegistry()
      const other = new TestRegistry()
      const k = recordKey('status', reg.registryId)
      const good = reg.status()
      const bad: Record<string, Uint8Array> = {
        'signed by an outsider': createStatusRecord(reg.chain(), rawSigned(good.list)),
        'signed by the issuing key': createStatusRecord(reg.chain(), rawSigned(good.list, reg.issuer)),
        "another registry's record under this key": other.status().record,
        "this list with another registry's chain": createStatusRecord(other.chain(), good.signed),
        "another registry's list with this chain": createStatusRecord(reg.chain(), other.status().signed),
        'a chain whose version 2 is signed only by new keys': createStatusRecord(
          encodeRootChain([reg.roots[0]!, reg.rotate({ sign: (_old, fresh) => fresh, append: false }).signed]),
          good.signed
        ),
        'a flipped bit in the signature': flipBit(good.record, good.record.byteLength * 8 - 9),
        'a truncated record': good.record.slice(0, -1),
        'empty bytes': new Uint8Array(0),
        'an oversized record': new Uint8Array(StatusRecord.maxBytes + 1)
      }
      for (const [what, value] of Object.entries(bad)) {
        assert.throws(
          () => rules.validate(k, value),
          (err: unknown) => err instanceof StatusListError && err.detail === 'invalid',
          what
        )
        // and the kad-dht validator hook refuses it the same way
        await assert.rejects(rules.dhtValidators.parley!(k, value), StatusListError, what)
      }
      // a record under a malformed key is refused too
      assert.throws(() => rules.validate(recordKey('status', 'not-a-registry'), good.record))
      assert.throws(() => rules.validate(new TextEncoder().encode('/parley/nope/x'), good.record), RecordRejectedError)
    })

    it('the selector keeps the highest sequence, then the longer chain', () => {
      const reg = new TestRegistry()
      const k = recordKey('status', reg.registryId)
      const s1 = reg.status().record
      const s2 = reg.status().record
      const s3 = reg.status().record
      assert.equal(rules.select(k, [s1, s3, s2]), 1)
      assert.equal(rules.select(k, [s3, s1]), 0)
      assert.equal(rules.select(k, [s2]), 0)
      assert.ok(statusRecordKind.compare(s3, s1) > 0)
      assert.ok(statusRecordKind.compare(s1, s3) < 0)
      // the same list 3 with a longer chain (after a root rotation) wins over the shorter one
      reg.rotate()
      const s3longer = createStatusRecord(reg.chain(), StatusRecord.decode(s3).status)
      assert.equal(rules.select(k, [s3, s3longer]), 1)
      assert.equal(statusRecordKind.compare(s3, s3), 0)
      // the DHT selector hook agrees
      assert.equal(rules.dhtSelectors.parley!(k, [s1, s3longer, s3]), 1)
    })
  })

  it('a list is fresh until next-update: the badge goes grey at that instant, not before', () => {
    const reg = new TestRegistry()
    const biz = business()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
    const trust = createTrust()
    trust.addRoot(reg.chain(), NOW)
    trust.importStatus(reg.status({ validMs: 6 * HOUR }).record)
    assert.equal(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + 6 * HOUR - 1 }).status, 'verified')
    assert.equal(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + 6 * HOUR }).status, 'stale')
    // a fresh list brings the badge back
    trust.importStatus(reg.status({ now: NOW + 6 * HOUR }).record)
    assert.equal(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + 6 * HOUR }).status, 'verified')
  })
})
