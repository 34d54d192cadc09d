/**
 * A first message asks the recipient itself for its profile (/parley/profile/1.0.0): over an open
 * connection at once, else at the addresses of the lookup's first record. The recipient is the one
 * authority on its newest profile, so the message is sealed to the key it holds now, even while the
 * DHT still serves an older record, and without waiting for the lookup to settle. Real messengers
 * on loopback TCP, with a real DHT.
 */
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { PROFILE_PROTOCOL } from '../../src/constants.ts'
import { profileKey } from '../../src/directory/index.ts'
import {
  connectedTo,
  goOnline,
  type MessengerFleet,
  messengerFleet,
  partFrom,
  type TestMessenger,
  waitFor
} from '../helpers/p2p.ts'

describe('asking the recipient for its profile', function () {
  this.timeout(90_000)
  let fleet: MessengerFleet
  let a: TestMessenger
  let b: TestMessenger
  let c: TestMessenger

  beforeEach(async () => {
    fleet = messengerFleet()
    const boot = (await fleet.dhtNetwork(3))[0]!
    ;[a, b, c] = await Promise.all([
      fleet.start({ bootstrap: boot.addrs }),
      fleet.start({ bootstrap: boot.addrs }),
      // c looks up as a sender without the question does
      fleet.start({ bootstrap: boot.addrs, askRecipient: false })
    ])
    await Promise.all([goOnline(a), goOnline(b), goOnline(c)])
  })
  afterEach(() => fleet.stopAll())

  type DhtGet = TestMessenger['messenger']['node']['services']['dht']['get']

  /**
   * Count the DHT gets `t` makes for `peer`'s profile from now on; `answer` stands in for them
   * (by default they pass through to the DHT).
   */
  function interceptLookups(
    t: TestMessenger,
    peer: TestMessenger,
    answer?: (options: Parameters<DhtGet>[1]) => ReturnType<DhtGet>
  ): () => number {
    const dht = t.messenger.node.services.dht
    const get = dht.get.bind(dht)
    const key = Buffer.from(profileKey(peer.peerId))
    let n = 0
    dht.get = ((k: Uint8Array, options?: Parameters<DhtGet>[1]) => {
      if (!key.equals(k)) return get(k, options)
      n++
      return answer === undefined ? get(k, options) : answer(options)
    }) as DhtGet
    return () => n
  }

  /** The DHT gets `t` makes for `peer`'s profile from now on (the calls pass through). */
  const countLookups = (t: TestMessenger, peer: TestMessenger): (() => number) => interceptLookups(t, peer)

  it('seals a first message to the profile the recipient holds now, though the DHT serves an older one', async () => {
    const old = b.messenger.directory.own
    assert.ok(old !== undefined)
    // from here on b's republishes reach no server, as in a partition: the DHT keeps `old`
    const dht = b.messenger.node.services.dht
    dht.put = async function* () {} as typeof dht.put
    await b.messenger.rotateEncryptionKey()
    await waitFor(() => (b.messenger.directory.own?.seq ?? 0) > old.seq, 'b`s newer profile')
    const current = b.messenger.directory.own!
    assert.notDeepEqual(current.encryptionKey, old.encryptionKey)

    // a sender that does not ask settles on what the DHT has
    assert.equal((await c.messenger.resolve(b.peerId))?.seq, old.seq)

    if (connectedTo(a, b)) await partFrom(a, b)
    assert.equal(a.messenger.directory.cached(b.peerId), undefined, 'b is already known to a')
    const r = await a.messenger.sendText(b.peerId, 'sealed to your current key')
    const resolved = a.messenger.directory.cached(b.peerId)
    assert.equal(resolved?.seq, current.seq)
    assert.deepEqual(resolved?.encryptionKey, current.encryptionKey)
    await waitFor(() => b.messenger.messages({ peer: a.peerId }).some((m) => m.id === r.id), 'the message at b')
  })

  it('asks a recipient it is connected to, with no lookup at all', async () => {
    await a.messenger.node.dial(peerIdFromString(b.peerId))
    assert.equal(a.messenger.directory.cached(b.peerId), undefined)
    const lookups = countLookups(a, b)
    const r = await a.messenger.sendText(b.peerId, 'no lookup')
    assert.equal(lookups(), 0)
    assert.equal(a.messenger.directory.cached(b.peerId)?.seq, b.messenger.directory.own?.seq)
    await waitFor(() => b.messenger.messages({ peer: a.peerId }).some((m) => m.id === r.id), 'the message at b')
  })

  /** From now on `t`'s DHT gets for `peer`'s profile find nothing until they are given up. */
  function hangLookups(t: TestMessenger, peer: TestMessenger): void {
    interceptLookups(t, peer, (options) =>
      (async function* () {
        await new Promise((resolve) => options?.signal?.addEventListener('abort', resolve, { once: true }))
      })()
    )
  }

  /** From now on `t`'s DHT gets for `peer`'s profile end at once with no record: none is stored. */
  const missLookups = (t: TestMessenger, peer: TestMessenger): (() => number) =>
    interceptLookups(t, peer, () => (async function* () {})())

  /** Part `from` from `to`, leaving `to`'s addresses in `from`'s peer store as a DHT reply would. */
  async function knownButApart(from: TestMessenger, to: TestMessenger): Promise<void> {
    const addrs = to.messenger.node.getMultiaddrs()
    if (connectedTo(from, to)) await partFrom(from, to)
    await from.messenger.node.peerStore.merge(peerIdFromString(to.peerId), { multiaddrs: addrs })
    assert.equal(connectedTo(from, to), false)
    assert.equal(from.messenger.directory.cached(to.peerId), undefined, 'the profile is already known')
  }

  it('asks a recipient whose addresses it holds at once, without waiting for the lookup`s first record', async () => {
    await knownButApart(a, b)
    // the lookup finds nothing: only the question can find b's profile within send's 5 s
    hangLookups(a, b)
    const started = performance.now()
    const r = await a.messenger.sendText(b.peerId, 'asked at once')
    const ms = performance.now() - started
    assert.equal(a.messenger.directory.cached(b.peerId)?.seq, b.messenger.directory.own?.seq)
    assert.ok(ms < 4_000, `took ${ms.toFixed(0)} ms`)
    await waitFor(() => b.messenger.messages({ peer: a.peerId }).some((m) => m.id === r.id), 'the message at b')
  })

  it('without askKnownRecipientAtOnce, waits for the first record even when it holds the addresses', async () => {
    const d = await fleet.start({ bootstrap: a.bootstrap, askKnownRecipientAtOnce: false })
    await goOnline(d)
    await knownButApart(d, b)
    hangLookups(d, b)
    const r = await d.messenger.sendText(b.peerId, 'queued')
    assert.equal(r.status, 'queued')
    assert.equal(d.messenger.directory.cached(b.peerId), undefined, 'found without a record')
  })

  it('finds a recipient whose profile the DHT does not hold by peer routing, and asks it', async () => {
    // e joins after b published, so it holds no copy of b's profile; and no DHT node answers with
    // one (b's put found no one, or the holders left). b is up and in the others' routing tables.
    const e = await fleet.start({ bootstrap: a.bootstrap })
    await goOnline(e)
    const lookups = missLookups(e, b)
    assert.equal(await e.messenger.directory.resolve(b.peerId, { fresh: true }), undefined, 'a lookup finds b')
    if (connectedTo(e, b)) await partFrom(e, b)
    await e.messenger.node.peerStore.delete(peerIdFromString(b.peerId))
    assert.equal(e.messenger.directory.cached(b.peerId), undefined, 'the profile is already known')
    const r = await e.messenger.sendText(b.peerId, 'found by peer routing')
    assert.ok(lookups() >= 2, 'looked the profile up first')
    assert.equal(e.messenger.directory.cached(b.peerId)?.seq, b.messenger.directory.own?.seq, 'sealed at send')
    await waitFor(() => b.messenger.messages({ peer: e.peerId }).some((m) => m.id === r.id), 'the message at b')
  })

  it('falls back to the lookup when the recipient does not answer the question', async () => {
    // a node without the protocol (an older version)
    await b.messenger.node.unhandle(PROFILE_PROTOCOL)
    await a.messenger.node.dial(peerIdFromString(b.peerId))
    const lookups = countLookups(a, b)
    const r = await a.messenger.sendText(b.peerId, 'found in the DHT')
    assert.ok(lookups() >= 1, 'looked up')
    assert.equal(a.messenger.directory.cached(b.peerId)?.seq, b.messenger.directory.own?.seq)
    await waitFor(() => b.messenger.messages({ peer: a.peerId }).some((m) => m.id === r.id), 'the message at b')
  })
})
