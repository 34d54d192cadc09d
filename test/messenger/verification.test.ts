/**
 * Verification where names are shown: the verifier's cached verdicts (until the earliest of
 * attestation expiry, status next-update and root expiry, or a trust change), the bundles it
 * learns and keeps, the display rules (badge, "verified as" for a saved contact, look-alikes
 * flagged), and, through a messenger that is never started (no network), name-change notices,
 * the verification on listed messages and on the message-received event of the inbox path.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { encodeCanonical } from '../../src/codec/index.ts'
import { ContentType, STORE_FILE } from '../../src/constants.ts'
import { seal } from '../../src/envelope/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'
import {
  createMessenger,
  createVerifier,
  type Messenger,
  type MessengerEvents,
  type Verifier,
  type VerifierInit
} from '../../src/messenger/index.ts'
import { AttestationBundle, AttestationSchema, createTrust, type Trust } from '../../src/registry/index.ts'
import { createStore, type Store } from '../../src/store/index.ts'
import { tempDir } from '../helpers/cli.ts'
import { DAY, HOUR, NOW, TestRegistry } from '../registry/fixtures.ts'

interface World {
  reg: TestRegistry
  trust: Trust
  store: Store
  dir: string
  clock: { t: number }
  self: Identity
  acme: Identity
  evil: Identity
  /** What the fake /parley/attest/1.0.0 answers per peer, and how often it was asked. */
  presented: Map<string, Uint8Array | undefined>
  fetches: string[]
  profileNames: Map<string, string>
  notices: Array<[string, string, string]>
  verifier(init?: Partial<VerifierInit>): Verifier
}

const cleanups: Array<() => void | Promise<void>> = []
/** Stop messengers, close stores and remove folders made by a test (each describe below runs it after every test). */
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c()
}

function world(): World {
  const reg = new TestRegistry()
  const trust = createTrust()
  trust.addRoot(reg.chain(), NOW)
  trust.importStatus(reg.status({ validMs: 12 * HOUR }).record)
  const tmp = tempDir('parley-verifier-')
  const store = createStore({ path: join(tmp.path, STORE_FILE) })
  cleanups.push(tmp.cleanup, () => store.close())
  const w: World = {
    reg,
    trust,
    store,
    dir: tmp.path,
    clock: { t: NOW },
    self: createIdentity(),
    acme: createIdentity(),
    evil: createIdentity(),
    presented: new Map(),
    fetches: [],
    profileNames: new Map(),
    notices: [],
    verifier(init = {}) {
      return createVerifier({
        store: w.store,
        trust: () => w.trust,
        selfPeerId: w.self.peerId,
        ownBundle: () => undefined,
        fetch: async (peerId) => {
          w.fetches.push(peerId)
          if (!w.presented.has(peerId)) throw new Error('unreachable')
          return w.presented.get(peerId)
        },
        profileName: (peerId) => w.profileNames.get(peerId),
        onNameChange: (peerId, from, to) => w.notices.push([peerId, from, to]),
        now: () => w.clock.t,
        ...init
      })
    }
  }
  return w
}

describe('messenger verification: the verifier', () => {
  afterEach(cleanup)

  it('caches a verdict (no re-check) until the status list next-update, then goes stale', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    const first = v.verify(w.acme.peerId)
    assert.equal(first.status, 'verified')
    for (let i = 0; i < 100; i++) assert.equal(v.verify(w.acme.peerId), first)
    assert.deepEqual(v.stats, { checks: 1, cacheHits: 100 })
    w.clock.t = NOW + 12 * HOUR - 1
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    assert.equal(v.stats.checks, 1, 'still cached just before next-update')
    w.clock.t = NOW + 12 * HOUR
    assert.equal(v.verify(w.acme.peerId).status, 'stale')
    assert.equal(v.stats.checks, 2)
  })

  it('caches until the attestation expires when that comes first, then expired', () => {
    const w = world()
    const v = w.verifier()
    v.learn(
      w.acme.peerId,
      w.reg.issue(w.acme.peerId, 'Acme Bank', { days: 1, now: NOW - DAY + HOUR }).bundle,
      'profile'
    )
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    w.clock.t = NOW + HOUR - 1
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    assert.equal(v.stats.checks, 1)
    w.clock.t = NOW + HOUR
    assert.equal(v.verify(w.acme.peerId).status, 'expired')
  })

  it('a trust change (a revoking status list) is seen at once, without waiting for the cache', () => {
    const w = world()
    const v = w.verifier()
    const { bundle, serial } = w.reg.issue(w.acme.peerId, 'Acme Bank')
    v.learn(w.acme.peerId, bundle, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    w.trust.importStatus(w.reg.status({ revoked: [serial] }).record)
    assert.equal(v.verify(w.acme.peerId).status, 'revoked')
    // removing the registry: untrusted at once too
    w.trust.remove(w.reg.registryId)
    assert.equal(v.verify(w.acme.peerId).status, 'untrusted-registry')
  })

  it('keeps the newest bundle a peer presented, in the store (a restart still knows it)', () => {
    const w = world()
    const v = w.verifier()
    const older = w.reg.issue(w.acme.peerId, 'Acme Bank', { now: NOW - HOUR }).bundle
    const newer = w.reg.issue(w.acme.peerId, 'Acme Bank Ltd').bundle
    v.learn(w.acme.peerId, newer, 'profile')
    v.learn(w.acme.peerId, older, 'protocol')
    assert.equal(v.verify(w.acme.peerId).name, 'Acme Bank Ltd', 'an older bundle does not replace a newer one')
    // the profile carrying no attestation says nothing; the peer itself saying "none" drops it
    v.learn(w.acme.peerId, undefined, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    const restarted = w.verifier()
    assert.equal(restarted.verify(w.acme.peerId).name, 'Acme Bank Ltd')
    restarted.learn(w.acme.peerId, undefined, 'protocol')
    assert.equal(restarted.verify(w.acme.peerId).status, 'unverified')
    assert.equal(w.verifier().verify(w.acme.peerId).status, 'unverified', 'and the drop is stored')
  })

  it('refresh asks the peer at most once per interval (unless forced), shares one request, survives a failure', async () => {
    const w = world()
    const v = w.verifier({ refetchMs: 10_000 })
    w.presented.set(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle)
    const [a, b] = await Promise.all([v.refresh(w.acme.peerId), v.refresh(w.acme.peerId)])
    assert.equal(a.status, 'verified')
    assert.equal(b.status, 'verified')
    assert.deepEqual(w.fetches, [w.acme.peerId])
    await v.refresh(w.acme.peerId)
    assert.equal(w.fetches.length, 1, 'not again within the interval')
    await v.refresh(w.acme.peerId, { force: true })
    assert.equal(w.fetches.length, 2)
    w.clock.t += 10_000
    await v.refresh(w.acme.peerId)
    assert.equal(w.fetches.length, 3)
    // an unreachable peer: the result from what is known, no exception
    assert.equal((await v.refresh(w.evil.peerId)).status, 'unverified')
    // our own verification never asks the network
    assert.equal((await v.refresh(w.self.peerId)).status, 'unverified')
    assert.ok(!w.fetches.includes(w.self.peerId))
  })

  it('a borrowed (stapled) bundle learned for the impostor is invalid for it and changes nothing for the owner', () => {
    const w = world()
    const v = w.verifier()
    const { bundle } = w.reg.issue(w.acme.peerId, 'Acme Bank')
    v.learn(w.acme.peerId, bundle, 'profile')
    v.learn(w.evil.peerId, bundle, 'protocol')
    const evil = v.verify(w.evil.peerId)
    assert.equal(evil.status, 'invalid')
    assert.match(evil.reason ?? '', /another peer/)
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
  })

  it('a bundle with times a Date cannot hold (no signature needed) is invalid, not an exception', () => {
    const w = world()
    const v = w.verifier()
    const real = AttestationBundle.decode(w.reg.issue(w.evil.peerId, 'Evil').bundle)
    const a = AttestationSchema.decode(real.payload)
    // the schema refuses to encode such a time, so write the map by hand (6 issuedAt, 8 expiresAt)
    const base = AttestationSchema.toCbor(a, 'attestation') as Map<number, unknown>
    const payload = encodeCanonical(
      new Map([...base, [6, a.issuedAt + 1] as [number, unknown], [8, Number.MAX_SAFE_INTEGER] as [number, unknown]])
    )
    v.learn(w.evil.peerId, AttestationBundle.encode({ payload, signature: real.signature }), 'protocol')
    assert.equal(v.verify(w.evil.peerId).status, 'invalid')
    assert.equal(v.display(w.evil.peerId).badge, false)
  })
})

describe('messenger verification: display rules', () => {
  afterEach(cleanup)

  it('a verified business shows its attested name with the badge', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    w.profileNames.set(w.acme.peerId, 'whatever it calls itself')
    assert.deepEqual(v.display(w.acme.peerId), { name: 'Acme Bank', badge: true, source: 'verified' })
  })

  it('a saved contact name wins for a verified business, with "verified as"; the same name shows plainly', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    w.store.addContact('my bank', w.acme.peerId, NOW)
    assert.deepEqual(v.display(w.acme.peerId), {
      name: 'my bank',
      badge: true,
      verifiedAs: 'Acme Bank',
      source: 'contact'
    })
    const other = createIdentity()
    v.learn(other.peerId, w.reg.issue(other.peerId, 'Other Shop').bundle, 'profile')
    w.store.addContact('Other Shop', other.peerId, NOW)
    assert.deepEqual(v.display(other.peerId), { name: 'Other Shop', badge: true, source: 'verified' })
    // an unverified contact: the contact name, no badge, no flag
    w.store.addContact('Acme Bank', w.evil.peerId, NOW)
    assert.deepEqual(v.display(w.evil.peerId), { name: 'Acme Bank', badge: false, source: 'contact' })
  })

  it('an unverified peer whose display name looks like a verified business is flagged, after sanitizing', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    const looks = [
      'Acme Bank',
      'ACME BANK',
      'Acme B\u0430nk', // Cyrillic а
      'Acrne Bank', // r + n
      'Acme   Bank',
      '\u202dAcme Bank\u202c', // bidi override around it
      'Acme\u2009Bank' // a thin space
    ]
    for (const name of looks) {
      w.profileNames.set(w.evil.peerId, name)
      const d = v.display(w.evil.peerId)
      assert.equal(d.badge, false, name)
      assert.equal(d.source, 'profile')
      assert.equal(d.impersonationOf, 'Acme Bank', JSON.stringify(name))
      assert.ok(!/[\u202a-\u202e]/u.test(d.name ?? ''), 'bidi controls are stripped from what is shown')
    }
    // an impostor presenting Acme's own attestation is still only a look-alike
    v.learn(w.evil.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'protocol')
    w.profileNames.set(w.evil.peerId, 'Acme Bank')
    assert.equal(v.display(w.evil.peerId).impersonationOf, 'Acme Bank')
    // a name that does not look like it is shown as declared (sanitized), unflagged
    const plain = createIdentity()
    w.profileNames.set(plain.peerId, 'Bob\u200b')
    assert.deepEqual(v.display(plain.peerId), { name: 'Bob', badge: false, source: 'profile' })
    // nothing declared at all
    assert.deepEqual(v.display(createIdentity().peerId), { name: null, badge: false, source: 'none' })
  })

  it('the look-alike flag survives a trust change and a restart (known businesses are kept in the store)', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    w.profileNames.set(w.evil.peerId, 'ACME BANK')
    // a new status list (a trust change) clears the verdict cache; a restart makes a new verifier
    w.trust.importStatus(w.reg.status({ revoked: [] }).record)
    v.invalidate()
    assert.equal(v.display(w.evil.peerId).impersonationOf, 'Acme Bank')
    const restarted = w.verifier()
    assert.equal(restarted.display(w.evil.peerId).impersonationOf, 'Acme Bank')
  })

  it('capitals and letters from other scripts that look alike are caught too', () => {
    const w = world()
    const v = w.verifier()
    v.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'ACME BANK').bundle, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    for (const name of [
      '\u0410\u0421\u041c\u0415 BANK',
      '\ud835\udc00cme Bank',
      '\ua4ee\ua4da\ua4df\ua4f0 \ua4d0\ua4ee\ua4e0\ua4d7'
    ]) {
      w.profileNames.set(w.evil.peerId, name)
      assert.equal(v.display(w.evil.peerId).impersonationOf, 'ACME BANK', name)
    }
  })

  it('a look-alike is not flagged against a business whose verification lapsed (revoked)', () => {
    const w = world()
    const v = w.verifier()
    const { bundle, serial } = w.reg.issue(w.acme.peerId, 'Acme Bank')
    v.learn(w.acme.peerId, bundle, 'profile')
    assert.equal(v.verify(w.acme.peerId).status, 'verified')
    w.profileNames.set(w.evil.peerId, 'Acme Bank')
    assert.equal(v.display(w.evil.peerId).impersonationOf, 'Acme Bank')
    w.trust.importStatus(w.reg.status({ revoked: [serial] }).record)
    assert.equal(v.verify(w.acme.peerId).status, 'revoked')
    assert.equal(v.display(w.evil.peerId).impersonationOf, undefined)
    assert.deepEqual(v.display(w.acme.peerId), { name: null, badge: false, source: 'none' })
  })
})

describe('messenger verification: through a messenger (never started, no network)', () => {
  afterEach(cleanup)

  async function messenger(w: World, store = w.store): Promise<Messenger> {
    const m = await createMessenger({
      identity: w.self,
      store,
      transport: 'memory',
      listen: [],
      mdns: false,
      trust: w.trust,
      now: () => w.clock.t
    })
    cleanups.push(() => m.stop())
    return m
  }

  function incoming(w: World, from: Identity, text: string, at = w.clock.t) {
    return {
      id: Buffer.from(from.engine.randomBytes(16)).toString('hex'),
      from: from.peerId,
      to: w.self.peerId,
      contentType: ContentType.text,
      body: new TextEncoder().encode(text),
      text,
      createdAt: at,
      receivedAt: at
    }
  }

  it('listed messages carry the verification of their sender', async () => {
    const w = world()
    const m = await messenger(w)
    m.verifier.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    w.store.insertIncoming([incoming(w, w.acme, 'your card is on its way'), incoming(w, w.evil, 'hello')])
    const byFrom = new Map(m.messages().map((x) => [x.from, x]))
    assert.deepEqual(byFrom.get(w.acme.peerId)?.verification, {
      status: 'verified',
      name: 'Acme Bank',
      registryId: w.reg.registryId,
      expiresAt: new Date(NOW + 14 * DAY).toISOString()
    })
    assert.deepEqual(byFrom.get(w.evil.peerId)?.verification, { status: 'unverified' })
    const one = m.message(byFrom.get(w.acme.peerId)!.id)
    assert.equal(one?.verification?.status, 'verified')
  })

  it('a reissue under a different name writes one notice in the conversation; a renewal writes none', async () => {
    const w = world()
    const m = await messenger(w)
    m.verifier.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank', { now: NOW - HOUR }).bundle, 'profile')
    w.store.insertIncoming([incoming(w, w.acme, 'hello')])
    const notices = () => m.messages({ peer: w.acme.peerId }).filter((x) => x.contentType === ContentType.notice)
    assert.equal((await m.verifyPeer(w.acme.peerId)).name, 'Acme Bank')
    assert.deepEqual(notices(), [], 'the first verified name is no change')
    // a renewal with the same name
    m.verifier.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank', { now: NOW - HOUR / 2 }).bundle, 'protocol')
    assert.equal((await m.verifyPeer(w.acme.peerId)).status, 'verified')
    assert.deepEqual(notices(), [])
    // renamed by the registry
    m.verifier.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank Plc').bundle, 'protocol')
    assert.equal((await m.verifyPeer(w.acme.peerId)).name, 'Acme Bank Plc')
    for (let i = 0; i < 3; i++) m.messages()
    const n = notices()
    assert.equal(n.length, 1)
    assert.equal(n[0]!.text, 'Acme Bank is now verified as Acme Bank Plc')
    assert.equal(n[0]!.from, w.acme.peerId)
    assert.equal(n[0]!.direction, 'in')
    // a restart on the same store remembers the name: no second notice
    await m.stop()
    const again = await messenger(w)
    assert.equal((await again.verifyPeer(w.acme.peerId)).name, 'Acme Bank Plc')
    assert.equal(again.messages({ peer: w.acme.peerId }).filter((x) => x.contentType === 0).length, 1)
  })

  it('the inbox path: a received message is emitted with the sender verified and its display', async () => {
    const w = world()
    const m = await messenger(w)
    m.verifier.learn(w.acme.peerId, w.reg.issue(w.acme.peerId, 'Acme Bank').bundle, 'profile')
    const received = new Promise<MessengerEvents['message-received']['detail']>((resolve) => {
      m.addEventListener('message-received', (evt) => resolve(evt.detail), { once: true })
    })
    const sealed = seal({
      sender: w.acme,
      recipient: w.self.peerId,
      encryptionKey: w.self.currentEncryptionKey(),
      body: new TextEncoder().encode('statement ready'),
      createdAt: w.clock.t
    })
    assert.deepEqual(await m.inbox.receive(sealed.bytes, w.acme.peerId), { status: 'ok' })
    const detail = await received
    assert.equal(detail.message.text, 'statement ready')
    assert.equal(detail.message.verification?.status, 'verified')
    assert.equal(detail.message.verification?.name, 'Acme Bank')
    assert.deepEqual(detail.display, { name: 'Acme Bank', badge: true, source: 'verified' })
  })
})
