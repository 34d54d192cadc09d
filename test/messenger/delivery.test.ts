/**
 * Messengers on loopback TCP with real SQLite stores: exactly once in the inbox, refusals that
 * change nothing, the durable outbox retrying until the recipient is back, and giving up.
 */
import assert from 'node:assert/strict'
import type { MessengerEvents } from '../../src/messenger/index.ts'
import {
  directClient,
  goOnline,
  incomingCount,
  type MessengerFleet,
  messengerFleet,
  sealText,
  sleep,
  type TestMessenger,
  type TestNode,
  waitDisconnected,
  waitFor
} from '../helpers/p2p.ts'

const FAST_RETRY = { baseMs: 100, capMs: 1000 }

describe('messenger delivery on loopback', function () {
  this.timeout(60_000)
  const dht = messengerFleet()
  let fleet: MessengerFleet
  let boot: TestNode

  before(async () => {
    boot = (await dht.dhtNetwork(3))[0]!
  })
  after(() => dht.stopAll())
  beforeEach(() => {
    fleet = messengerFleet()
  })
  afterEach(() => fleet.stopAll())

  async function online(init: Parameters<MessengerFleet['start']>[0] = {}): Promise<TestMessenger> {
    const t = await fleet.start({ bootstrap: boot.addrs, ...init })
    await goOnline(t)
    return t
  }

  function record<K extends keyof MessengerEvents>(t: TestMessenger, name: K): Array<MessengerEvents[K]['detail']> {
    const seen: Array<MessengerEvents[K]['detail']> = []
    t.messenger.addEventListener(name, (evt) => seen.push(evt.detail as MessengerEvents[K]['detail']))
    return seen
  }

  it('a message found through the directory is delivered once, and the sender copy turns sent', async () => {
    const [a, b] = await Promise.all([online({ name: 'Ann' }), online({ name: 'Bob' })])
    const received = record(b, 'message-received')
    const statuses = record(a, 'message-status')
    const r = await a.messenger.sendText(b.peerId, 'hello Bob')
    assert.equal(r.status, 'queued')
    await waitFor(() => a.messenger.message(r.id)?.status === 'sent', 'the ack')
    const inbox = b.messenger.messages({ peer: a.peerId })
    assert.equal(inbox.length, 1)
    assert.equal(inbox[0]!.id, r.id)
    assert.equal(inbox[0]!.text, 'hello Bob')
    assert.equal(inbox[0]!.from, a.peerId)
    assert.equal(inbox[0]!.direction, 'in')
    // the event follows the commit (after a look at the sender's verification), not the ack
    await waitFor(() => received.length > 0, 'the message-received event')
    assert.deepEqual(
      received.map((d) => d.message.id),
      [r.id]
    )
    assert.deepEqual(
      statuses.map((s) => s.status),
      ['queued', 'sent']
    )
    assert.equal(a.store.getOutboxEntry(r.id), undefined, 'the outbox row outlived the ack')
  })

  it('the same envelope delivered again is acked duplicate and never stored twice (also after a restart)', async () => {
    const [a, b] = await Promise.all([online(), online()])
    const received = record(b, 'message-received')
    const client = directClient(a.messenger.node, () => b.addrs())
    try {
      const env = sealText(a.identity, b.identity, 'once only')
      assert.deepEqual(
        (await client.send(b.peerId, [env.bytes])).map((x) => x.status),
        ['ok']
      )
      // the ack came only after the commit: the row is there the moment the ack is
      assert.equal(b.store.getMessage(env.id)?.text, 'once only')
      assert.deepEqual(
        (await client.send(b.peerId, [env.bytes])).map((x) => x.status),
        ['duplicate']
      )
      // twice in one pipelined batch: both duplicates
      assert.deepEqual(
        (await client.send(b.peerId, [env.bytes, env.bytes])).map((x) => x.status),
        ['duplicate', 'duplicate']
      )
      // a new envelope twice in the same batch lands in one group commit: ok then duplicate
      const twin = sealText(a.identity, b.identity, 'twin')
      assert.deepEqual(
        (await client.send(b.peerId, [twin.bytes, twin.bytes])).map((x) => x.status),
        ['ok', 'duplicate']
      )
      assert.equal(incomingCount(b.store, a.peerId), 2)
      await waitFor(() => received.length >= 2, 'two message-received events')
      await sleep(200)
      assert.deepEqual(received.map((d) => d.message.id).sort(), [env.id, twin.id].sort(), 'an event for a duplicate')
      assert.equal(b.messenger.inbox.stats.received, 2)
      assert.equal(b.messenger.inbox.stats.duplicates, 4)
      client.closeAll()

      // B restarts on the same store: the replay is still a duplicate
      await fleet.stop(b)
      await waitDisconnected(a.messenger.node, b.peerId)
      const b2 = await fleet.start({ identity: b.identity, dir: b.dir, bootstrap: boot.addrs })
      const client2 = directClient(a.messenger.node, () => b2.addrs())
      try {
        assert.deepEqual(
          (await client2.send(b2.peerId, [env.bytes, twin.bytes])).map((x) => x.status),
          ['duplicate', 'duplicate']
        )
      } finally {
        client2.closeAll()
      }
      assert.equal(incomingCount(b2.store, a.peerId), 2)
      assert.equal(b2.messenger.inbox.stats.received, 0)
    } finally {
      client.closeAll()
    }
  })

  it('refused envelopes are acked `refused` with the error name, store nothing, and leave the id unseen', async () => {
    const [a, b, c] = await Promise.all([online(), online(), online()])
    const client = directClient(a.messenger.node, () => b.addrs())
    try {
      const genuine = sealText(a.identity, b.identity, 'the real one')
      const tampered = Uint8Array.from(genuine.bytes)
      tampered[tampered.byteLength - 1]! ^= 0x80
      const cases: Array<[string, Uint8Array]> = [
        // sealed for C (to C's key), delivered to B
        ['WrongRecipientError', sealText(a.identity, c.identity, 'for C').bytes],
        // addressed to B, sealed to an encryption key B never had
        [
          'UnknownKeyIdError',
          sealText(a.identity, { peerId: b.peerId, currentEncryptionKey: () => c.identity.currentEncryptionKey() }, 'x')
            .bytes
        ],
        ['DecryptionFailedError', tampered],
        ['MalformedEnvelopeError', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)],
        ['UnsupportedVersionError', Uint8Array.of(9, ...genuine.bytes.subarray(1))],
        [
          'TimestampOutOfWindowError',
          sealText(a.identity, b.identity, 'from long ago', { createdAt: Date.now() - 40 * 24 * 3600 * 1000 }).bytes
        ],
        [
          'TimestampOutOfWindowError',
          sealText(a.identity, b.identity, 'from the future', { createdAt: Date.now() + 3600 * 1000 }).bytes
        ]
      ]
      const acks = await client.send(
        b.peerId,
        cases.map(([, bytes]) => bytes)
      )
      assert.deepEqual(
        acks.map((x) => [x.status, x.reason]),
        cases.map(([name]) => ['refused', name])
      )
      assert.equal(incomingCount(b.store), 0)
      assert.equal(b.messenger.inbox.stats.refused, cases.length)
      assert.equal(b.store.hasSeen(genuine.id), false, 'a tampered copy marked the genuine id as seen')
      // the stream was not reset, and the untampered original is still accepted
      assert.deepEqual(
        (await client.send(b.peerId, [genuine.bytes])).map((x) => x.status),
        ['ok']
      )
      assert.equal(incomingCount(b.store), 1)
      assert.equal(b.messenger.messages()[0]!.text, 'the real one')
    } finally {
      client.closeAll()
    }
  })

  it('outbox: queued while the recipient is offline, delivered exactly once when it is back, then sent', async () => {
    const a = await online({ backoff: FAST_RETRY })
    const b = await online()
    assert.ok(await a.messenger.resolve(b.peerId))
    await fleet.stop(b)
    await waitDisconnected(a.messenger.node, b.peerId)

    const statuses = record(a, 'message-status')
    const r = await a.messenger.sendText(b.peerId, 'while you were away')
    // it keeps trying, and stays queued
    const entry = await waitFor(() => {
      const e = a.store.getOutboxEntry(r.id)
      return e !== undefined && e.attempts >= 2 ? e : undefined
    }, 'two failed attempts')
    assert.match(entry.lastError ?? '', new RegExp(`could not reach ${b.peerId}`))
    assert.equal(a.messenger.message(r.id)?.status, 'queued')
    const stored = entry.envelope

    const b2 = await fleet.start({ identity: b.identity, dir: b.dir, bootstrap: boot.addrs })
    await goOnline(b2)
    await waitFor(() => a.messenger.message(r.id)?.status === 'sent', 'delivery after the recipient came back')
    assert.deepEqual(
      statuses.map((s) => s.status),
      ['queued', 'sent']
    )
    const inbox = b2.messenger.messages({ peer: a.peerId })
    assert.deepEqual(
      inbox.map((m) => [m.id, m.text]),
      [[r.id, 'while you were away']]
    )
    assert.equal(a.store.getOutboxEntry(r.id), undefined)

    // the outbox stored the envelope bytes: resending them is a duplicate, never a second row
    const client = directClient(a.messenger.node, () => b2.addrs())
    try {
      assert.deepEqual(
        (await client.send(b2.peerId, [stored])).map((x) => x.status),
        ['duplicate']
      )
    } finally {
      client.closeAll()
    }
    await sleep(1500) // several backoff periods: no late retry may add anything
    assert.equal(incomingCount(b2.store, a.peerId), 1)
    assert.equal(b2.messenger.inbox.stats.received, 1)
    assert.equal(a.messenger.outbox.stats.sent, 1)
  })

  it('outbox: a message nobody acks within giveUpMs turns failed with a reason', async () => {
    const a = await online({ backoff: FAST_RETRY, giveUpMs: 1500 })
    const b = await online()
    assert.ok(await a.messenger.resolve(b.peerId))
    await fleet.stop(b)
    await waitDisconnected(a.messenger.node, b.peerId)
    const statuses = record(a, 'message-status')
    const t0 = Date.now()
    const r = await a.messenger.sendText(b.peerId, 'nobody home')
    await waitFor(() => a.store.getOutboxEntry(r.id)?.attempts, 'a first failed attempt')
    assert.equal(a.messenger.message(r.id)?.status, 'queued', 'failed before the give-up time')
    await waitFor(() => a.messenger.message(r.id)?.status === 'failed', 'the give-up', { timeoutMs: 10_000 })
    assert.ok(Date.now() - t0 >= 1500, 'failed before the give-up time')
    const m = a.messenger.message(r.id)!
    assert.match(m.error ?? '', /not acked before the give-up time/)
    assert.match(m.error ?? '', new RegExp(`last error: could not reach ${b.peerId}`))
    assert.equal(a.store.getOutboxEntry(r.id), undefined)
    const failed = statuses.find((s) => s.status === 'failed')
    assert.ok(failed !== undefined && failed.id === r.id)
    assert.equal(failed.error, m.error)
  })
})
