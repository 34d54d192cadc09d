import assert from 'node:assert/strict'
import { SIG_TYPE_PROFILE } from '../../src/constants.ts'
import { signTyped } from '../../src/crypto/index.ts'
import {
  createRecordRules,
  MAX_PROFILE_TTL_MS,
  ProfileRecord,
  parseRecordKey,
  peekProfileOrder,
  profileKey,
  profileKind,
  type RecordKind,
  recordKey,
  SignedProfile,
  verifyProfileRecord
} from '../../src/directory/index.ts'
import { PROFILE_CLOCK_SKEW_MS } from '../../src/directory/record.ts'
import { RecordRejectedError } from '../../src/errors.ts'
import { createIdentity, peerIdBytesFromPublicKey, peerIdToBytes } from '../../src/identity/index.ts'
import {
  DAY,
  HOUR,
  oversizedProfile,
  profileSignedByAnother,
  signedProfile,
  withBadSignature
} from '../helpers/profiles.ts'

const NOW = 1_800_000_000_000

/** Asserts `fn` throws RecordRejectedError with this detail; returns the error for more checks. */
function rejected(fn: () => unknown, detail: string): RecordRejectedError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof RecordRejectedError, `expected RecordRejectedError(${detail}), got ${String(caught)}`)
  assert.equal(caught.name, 'RecordRejectedError')
  assert.equal(caught.detail, detail, caught.message)
  return caught
}

async function rejectedAsync(p: Promise<unknown>, detail: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RecordRejectedError, String(err))
    assert.equal(err.detail, detail, err.message)
    return true
  })
}

describe('directory records: verifyProfileRecord', () => {
  const alice = createIdentity({ now: NOW })
  const mallory = createIdentity({ now: NOW })

  it('accepts a genuine profile and returns what it says', () => {
    const mailbox = peerIdBytesFromPublicKey(mallory.publicKey)
    const bytes = signedProfile(
      alice,
      { seq: 7, content: { addresses: ['/ip4/10.0.0.1/tcp/1'], name: 'Alice', mailboxes: [mailbox] } },
      NOW
    )
    const p = verifyProfileRecord(bytes, { expectedPeer: peerIdToBytes(alice.peerId), now: NOW })
    assert.equal(p.peerId, alice.peerId)
    assert.deepEqual(p.publicKey, alice.publicKey)
    assert.equal(p.seq, 7)
    assert.equal(p.issuedAt, NOW - HOUR)
    assert.equal(p.expiresAt, NOW + 23 * HOUR)
    assert.equal(p.name, 'Alice')
    assert.deepEqual(p.addresses, ['/ip4/10.0.0.1/tcp/1'])
    assert.deepEqual(p.mailboxes, [mallory.peerId])
    assert.deepEqual(p.encryptionKey.id, alice.currentEncryptionKey().id)
    assert.deepEqual(p.encryptionKey.publicKey, alice.currentEncryptionKey().publicKey)
    assert.deepEqual(p.bytes, bytes)
  })

  it('malformed: garbage, truncated, trailing bytes, not a signed profile', () => {
    const good = signedProfile(alice, { seq: 1 }, NOW)
    rejected(() => verifyProfileRecord(new Uint8Array([0xff, 0x00, 0x13]), { now: NOW }), 'malformed')
    rejected(() => verifyProfileRecord(new Uint8Array(0), { now: NOW }), 'malformed')
    rejected(() => verifyProfileRecord(good.subarray(0, good.byteLength - 1), { now: NOW }), 'malformed')
    rejected(() => verifyProfileRecord(Uint8Array.of(...good, 0), { now: NOW }), 'malformed')
    // the inner record on its own is not a signed profile
    rejected(() => verifyProfileRecord(SignedProfile.decode(good).record, { now: NOW }), 'malformed')
  })

  it('oversized: a correctly signed record over 8 KiB is refused before decoding', () => {
    const big = oversizedProfile(alice, 1, NOW)
    assert.ok(big.byteLength > 8 * 1024, `${big.byteLength}`)
    const err = rejected(() => verifyProfileRecord(big, { now: NOW }), 'malformed')
    assert.match(err.message, /exceeds the 8192-byte cap/)
  })

  it('wrong-owner: a genuine record checked against another peer', () => {
    const bytes = signedProfile(mallory, { seq: 1 }, NOW)
    rejected(() => verifyProfileRecord(bytes, { expectedPeer: peerIdToBytes(alice.peerId), now: NOW }), 'wrong-owner')
  })

  it('bad-signature: a flipped bit, and a record for alice signed by mallory', () => {
    rejected(
      () => verifyProfileRecord(withBadSignature(signedProfile(alice, { seq: 1 }, NOW)), { now: NOW }),
      'bad-signature'
    )
    rejected(
      () =>
        verifyProfileRecord(profileSignedByAnother(alice, mallory, 1, NOW), {
          expectedPeer: peerIdToBytes(alice.peerId),
          now: NOW
        }),
      'bad-signature'
    )
  })

  it('bad-signature: a signature over another signing type (domain separation)', () => {
    const record = SignedProfile.decode(signedProfile(alice, { seq: 1 }, NOW)).record
    const signature = signTyped(alice.signer, 'parley/envelope/v1', record)
    rejected(() => verifyProfileRecord(SignedProfile.encode({ record, signature }), { now: NOW }), 'bad-signature')
  })

  it('expired: expiry in the past, and exactly now', () => {
    rejected(
      () =>
        verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW - 2 * HOUR, expiresAt: NOW - 1 }), {
          now: NOW
        }),
      'expired'
    )
    rejected(
      () =>
        verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW - 2 * HOUR, expiresAt: NOW }), { now: NOW }),
      'expired'
    )
  })

  it('lifetime: expiry beyond 7 days (+ skew) is refused, right at the bound is accepted', () => {
    const limit = NOW + MAX_PROFILE_TTL_MS + PROFILE_CLOCK_SKEW_MS
    verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW, expiresAt: limit }), { now: NOW })
    rejected(
      () => verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW, expiresAt: limit + 1 }), { now: NOW }),
      'lifetime'
    )
    rejected(
      () =>
        verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW, expiresAt: NOW + 365 * DAY }), { now: NOW }),
      'lifetime'
    )
  })

  it('lifetime: issued in the future (beyond skew) or issued at/after its expiry', () => {
    const skew = PROFILE_CLOCK_SKEW_MS
    verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW + skew, expiresAt: NOW + HOUR }), { now: NOW })
    rejected(
      () =>
        verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW + skew + 1, expiresAt: NOW + HOUR }), {
          now: NOW
        }),
      'lifetime'
    )
    rejected(
      () =>
        verifyProfileRecord(signedProfile(alice, { seq: 1, issuedAt: NOW + HOUR, expiresAt: NOW + HOUR }), {
          now: NOW
        }),
      'lifetime'
    )
  })

  it('bad-encryption-key: a profile carrying a key signed by someone else', () => {
    const record = ProfileRecord.encode({
      peer: peerIdBytesFromPublicKey(alice.publicKey),
      seq: 1,
      issuedAt: NOW - HOUR,
      expiresAt: NOW + HOUR,
      encryptionKey: mallory.currentEncryptionKey().signed,
      addresses: []
    })
    const bytes = SignedProfile.encode({ record, signature: signTyped(alice.signer, SIG_TYPE_PROFILE, record) })
    rejected(() => verifyProfileRecord(bytes, { now: NOW }), 'bad-encryption-key')
  })

  it('peekProfileOrder reads seq and expiry, and undefined for garbage', () => {
    assert.deepEqual(peekProfileOrder(signedProfile(alice, { seq: 42, expiresAt: NOW + 5 }, NOW)), {
      seq: 42,
      expiresAt: NOW + 5
    })
    assert.equal(peekProfileOrder(new Uint8Array([1, 2, 3])), undefined)
  })
})

describe('directory records: keys and createRecordRules', () => {
  const alice = createIdentity()
  const mallory = createIdentity()

  it('parseRecordKey splits /parley/<kind>/<id> from bytes or a string', () => {
    assert.deepEqual(parseRecordKey(profileKey(alice.peerId)), { kind: 'profile', id: alice.peerId })
    assert.deepEqual(parseRecordKey('/parley/note/x'), { kind: 'note', id: 'x' })
    assert.deepEqual(parseRecordKey(recordKey('a', 'b')), { kind: 'a', id: 'b' })
  })

  it('parseRecordKey refuses every other shape with detail bad-key', () => {
    for (const key of [
      '/pk/abc',
      '/ipns/abc',
      '/other/x',
      '/parley/profile',
      '/parley/profile/',
      '/parley//x',
      '/parley/profile/x/y',
      'parley/profile/x',
      '//parley/profile/x',
      '/Parley/profile/x',
      `/parley/profile/${'x'.repeat(300)}`,
      ''
    ]) {
      rejected(() => parseRecordKey(key), 'bad-key')
    }
    rejected(() => parseRecordKey(Uint8Array.of(0x2f, 0xff, 0xfe, 0x2f, 0x61, 0x2f, 0x62)), 'bad-key')
  })

  it('validate accepts a genuine profile under its own key only', () => {
    const rules = createRecordRules()
    const bytes = signedProfile(alice, { seq: 1 })
    rules.validate(profileKey(alice.peerId), bytes)
    rejected(() => rules.validate(profileKey(mallory.peerId), bytes), 'wrong-owner')
    rejected(() => rules.validate(recordKey('profile', 'not-a-peer-id'), bytes), 'bad-key')
    rejected(() => rules.validate(recordKey('unknown', alice.peerId), bytes), 'bad-key')
    rejected(() => rules.validate(new TextEncoder().encode(`/pk/${alice.peerId}`), bytes), 'bad-key')
  })

  it('validate honours `now`: the same record is valid today and expired tomorrow', () => {
    const rules = createRecordRules()
    const bytes = signedProfile(alice, { seq: 1, issuedAt: NOW, expiresAt: NOW + HOUR })
    rules.validate(profileKey(alice.peerId), bytes, NOW)
    rejected(() => rules.validate(profileKey(alice.peerId), bytes, NOW + DAY), 'expired')
  })

  it('kad-dht validators: parley validates, pk and ipns (kad-dht defaults) are refused with namespace', async () => {
    const rules = createRecordRules()
    const key = profileKey(alice.peerId)
    await rules.dhtValidators.parley!(key, signedProfile(alice, { seq: 1 }))
    await rejectedAsync(
      rules.dhtValidators.parley!(key, withBadSignature(signedProfile(alice, { seq: 1 }))),
      'bad-signature'
    )
    await rejectedAsync(
      rules.dhtValidators.parley!(profileKey(mallory.peerId), signedProfile(alice, { seq: 1 })),
      'wrong-owner'
    )
    await rejectedAsync(rules.dhtValidators.pk!(new TextEncoder().encode('/pk/x'), new Uint8Array(36)), 'namespace')
    await rejectedAsync(rules.dhtValidators.ipns!(new TextEncoder().encode('/ipns/x'), new Uint8Array(36)), 'namespace')
    assert.deepEqual(Object.keys(rules.dhtValidators).sort(), ['ipns', 'parley', 'pk'])
    assert.deepEqual(Object.keys(rules.dhtSelectors), ['parley'])
  })

  it('profileKind.compare: seq first, then expiry; an undecodable record is always worse', () => {
    const v3 = signedProfile(alice, { seq: 3, expiresAt: NOW + HOUR }, NOW)
    const v3later = signedProfile(alice, { seq: 3, expiresAt: NOW + 2 * HOUR }, NOW)
    const v4 = signedProfile(alice, { seq: 4, expiresAt: NOW + 10 }, NOW)
    const junk = new Uint8Array([1, 2, 3])
    assert.ok(profileKind.compare(v4, v3) > 0)
    assert.ok(profileKind.compare(v3, v4) < 0)
    assert.ok(profileKind.compare(v4, v3later) > 0, 'a higher seq wins even with an earlier expiry')
    assert.ok(profileKind.compare(v3later, v3) > 0)
    assert.ok(profileKind.compare(v3, v3later) < 0)
    assert.equal(profileKind.compare(v3, v3), 0)
    assert.equal(profileKind.compare(junk, v3), -1)
    assert.equal(profileKind.compare(v3, junk), 1)
    assert.equal(profileKind.compare(junk, junk), 0)
  })

  it('select (the kad-dht selector) picks the highest seq wherever it is in the list', () => {
    const rules = createRecordRules()
    const key = profileKey(alice.peerId)
    const r = (seq: number, expiresAt = NOW + HOUR): Uint8Array => signedProfile(alice, { seq, expiresAt }, NOW)
    assert.equal(rules.dhtSelectors.parley!(key, [r(7), r(3), r(5)]), 0)
    assert.equal(rules.dhtSelectors.parley!(key, [r(3), r(7), r(5)]), 1)
    assert.equal(rules.dhtSelectors.parley!(key, [r(3), r(5), r(7)]), 2)
    assert.equal(rules.select(key, [r(2, NOW + HOUR), r(2, NOW + 3 * HOUR), r(2, NOW + 2 * HOUR)]), 1)
    assert.equal(rules.select(key, [r(9)]), 0)
    assert.ok(rules.compare(key, r(2), r(1)) > 0)
    rejected(() => rules.select(recordKey('unknown', 'x'), [r(1)]), 'bad-key')
  })

  it('routes extra record kinds to their own rules, and keeps profiles built in', () => {
    const seen: string[] = []
    const note: RecordKind = {
      validate(id, value) {
        seen.push(id)
        if (value[0] !== 1) throw new RecordRejectedError('not a note', 'note')
      },
      compare: (a, b) => a[1]! - b[1]!
    }
    const rules = createRecordRules({ note })
    rules.validate(recordKey('note', 'n1'), Uint8Array.of(1, 5))
    rejected(() => rules.validate(recordKey('note', 'n2'), Uint8Array.of(0)), 'note')
    assert.deepEqual(seen, ['n1', 'n2'])
    assert.equal(
      rules.select(recordKey('note', 'n1'), [Uint8Array.of(1, 1), Uint8Array.of(1, 9), Uint8Array.of(1, 4)]),
      1
    )
    rules.validate(profileKey(alice.peerId), signedProfile(alice, { seq: 1 }))
  })
})
