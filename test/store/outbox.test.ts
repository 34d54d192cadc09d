import assert from 'node:assert/strict'
import { DEFAULT_OUTBOX_GIVE_UP_MS, MAX_ENVELOPE_BYTES } from '../../src/constants.ts'
import { createStore, type Store } from '../../src/store/index.ts'
import { ALICE, BOB, envelopeFor, ME, newId, outgoing, tempHome } from './helpers.ts'

describe('store: outgoing messages and the outbox', () => {
  let home: ReturnType<typeof tempHome>
  let store: Store
  beforeEach(() => {
    home = tempHome()
    store = createStore({ path: home.dbPath })
  })
  afterEach(() => {
    store.close()
    home.cleanup()
  })

  it('commits the message (queued) and its outbox row with the exact envelope bytes', () => {
    const o = outgoing({ createdAt: 10_000 })
    assert.deepEqual(store.enqueueOutgoing([o]), ['queued'])
    const m = store.getMessage(o.id)!
    assert.equal(m.direction, 'out')
    assert.equal(m.status, 'queued')
    assert.equal(m.peer, BOB)
    assert.equal(m.from, ME)
    assert.equal(m.receivedAt, null)
    assert.deepEqual(store.getOutboxEntry(o.id), {
      messageId: o.id,
      recipient: BOB,
      envelope: envelopeFor(o.id as string),
      attempts: 0,
      createdAt: 10_000,
      nextAttemptAt: 10_000,
      lastAttemptAt: null,
      lastError: null,
      giveUpAt: 10_000 + DEFAULT_OUTBOX_GIVE_UP_MS
    })
    assert.equal(store.nextOutboxAttemptAt(), 10_000)
  })

  it('reports an id enqueued twice as a duplicate and keeps the first', () => {
    const o = outgoing()
    store.enqueueOutgoing([o])
    assert.deepEqual(store.enqueueOutgoing([{ ...o, envelope: new Uint8Array(3) }, outgoing()]), [
      'duplicate',
      'queued'
    ])
    assert.deepEqual(store.getOutboxEntry(o.id)?.envelope, envelopeFor(o.id as string))
  })

  it('queued → sent on ack: outbox row removed, status time set, returns the ids that changed', () => {
    const a = outgoing()
    const b = outgoing()
    store.enqueueOutgoing([a, b])
    assert.deepEqual(store.markSent([a.id, newId()], 5_000), [a.id])
    assert.equal(store.getMessage(a.id)?.status, 'sent')
    assert.equal(store.getMessage(a.id)?.statusAt, 5_000)
    assert.equal(store.getOutboxEntry(a.id), undefined)
    assert.deepEqual(store.markSent([a.id], 6_000), [], 'a second ack changes nothing')
    assert.equal(store.getMessage(a.id)?.statusAt, 5_000)
    assert.equal(store.getMessage(b.id)?.status, 'queued')
    assert.deepEqual(
      store.dueOutbox(2_000).map((e) => e.messageId),
      [b.id]
    )
  })

  it('records failed attempts and schedules the next one', () => {
    const o = outgoing()
    store.enqueueOutgoing([o])
    assert.equal(store.recordAttemptFailure(o.id, { at: 1_100, nextAttemptAt: 3_000, error: 'dial failed' }), true)
    assert.equal(store.recordAttemptFailure(o.id, { at: 3_100, nextAttemptAt: 7_000, error: 'x'.repeat(5000) }), true)
    const e = store.getOutboxEntry(o.id)!
    assert.equal(e.attempts, 2)
    assert.equal(e.lastAttemptAt, 3_100)
    assert.equal(e.nextAttemptAt, 7_000)
    assert.equal(e.lastError!.length, 1024, 'reasons are truncated')
    assert.equal(store.getMessage(o.id)?.status, 'queued', 'a failed attempt is not a failed message')
    assert.deepEqual(store.dueOutbox(6_999), [])
    assert.equal(store.dueOutbox(7_000).length, 1)
    assert.equal(store.recordAttemptFailure(newId(), { at: 1, nextAttemptAt: 2, error: 'e' }), false)
  })

  it('turns queued → failed only past the give-up time, with a reason, and returns those messages', () => {
    const early = outgoing({ createdAt: 1_000, giveUpAt: 10_000 })
    const late = outgoing({ createdAt: 1_000, giveUpAt: 20_000 })
    const acked = outgoing({ createdAt: 1_000, giveUpAt: 10_000 })
    store.enqueueOutgoing([early, late, acked])
    store.markSent([acked.id], 2_000)
    store.recordAttemptFailure(early.id, { at: 5_000, nextAttemptAt: 9_000, error: 'connection refused' })

    assert.deepEqual(store.expireOutbox(9_999), [], 'nothing before its give-up time')
    assert.equal(store.getMessage(early.id)?.status, 'queued')
    assert.deepEqual(
      store.dueOutbox(9_999).map((e) => e.messageId),
      [late.id, early.id],
      'late is due since 1000, early again since 9000'
    )

    const failed = store.expireOutbox(10_000)
    assert.deepEqual(
      failed.map((m) => [m.id, m.status, m.statusAt]),
      [[early.id, 'failed', 10_000]]
    )
    assert.match(failed[0]!.error!, /give-up time \(1 attempt\); last error: connection refused/)
    assert.equal(store.getOutboxEntry(early.id), undefined)
    assert.equal(store.getMessage(acked.id)?.status, 'sent', 'an acked message never fails')
    assert.deepEqual(
      store.dueOutbox(15_000).map((e) => e.messageId),
      [late.id]
    )
    assert.deepEqual(store.dueOutbox(20_000), [], 'past give-up: not due, waiting to expire')
    assert.deepEqual(
      store.expireOutbox(25_000).map((m) => m.id),
      [late.id]
    )
    assert.equal(store.nextOutboxAttemptAt(), null)
  })

  it('applies the store giveUpMs to messages that name no give-up time', () => {
    store.close()
    store = createStore({ path: home.dbPath, giveUpMs: 60_000 })
    const o = outgoing({ createdAt: 1_000 })
    store.enqueueOutgoing([o])
    assert.equal(store.getOutboxEntry(o.id)?.giveUpAt, 61_000)
  })

  it('an ack after giving up makes the message sent (it was delivered)', () => {
    const o = outgoing({ giveUpAt: 2_000 })
    store.enqueueOutgoing([o])
    store.expireOutbox(3_000)
    assert.equal(store.getMessage(o.id)?.status, 'failed')
    assert.deepEqual(store.markSent([o.id], 4_000), [o.id])
    const m = store.getMessage(o.id)!
    assert.equal(m.status, 'sent')
    assert.equal(m.error, null)
  })

  it('markFailed gives up on a queued message now, with a reason; not on a sent one', () => {
    const a = outgoing()
    const b = outgoing()
    store.enqueueOutgoing([a, b])
    store.markSent([b.id], 2_000)
    assert.equal(store.markFailed(a.id, 'recipient has no encryption key', 3_000), true)
    assert.equal(store.getMessage(a.id)?.error, 'recipient has no encryption key')
    assert.equal(store.getOutboxEntry(a.id), undefined)
    assert.equal(store.markFailed(a.id, 'again', 4_000), false)
    assert.equal(store.markFailed(b.id, 'late', 4_000), false)
    assert.equal(store.getMessage(b.id)?.status, 'sent')
  })

  it('orders due entries by next attempt, then age, and honours the limit', () => {
    const ids = [outgoing({ createdAt: 300 }), outgoing({ createdAt: 100 }), outgoing({ createdAt: 200 })]
    store.enqueueOutgoing(ids)
    store.recordAttemptFailure(ids[1]!.id, { at: 150, nextAttemptAt: 1_000, error: 'e' })
    assert.deepEqual(
      store.dueOutbox(5_000).map((e) => e.messageId),
      [ids[2]!.id, ids[0]!.id, ids[1]!.id]
    )
    assert.deepEqual(
      store.dueOutbox(500).map((e) => e.messageId),
      [ids[2]!.id, ids[0]!.id]
    )
    assert.equal(store.dueOutbox(5_000, 1).length, 1)
    assert.equal(store.nextOutboxAttemptAt(), 200)
  })

  it('outboxFor lists every unacked entry for one recipient, due or not, oldest first', () => {
    const a1 = outgoing({ to: ALICE, createdAt: 2 })
    const a2 = outgoing({ to: ALICE, createdAt: 1, nextAttemptAt: 99_999 })
    const b1 = outgoing({ to: BOB, createdAt: 1 })
    store.enqueueOutgoing([a1, a2, b1])
    assert.deepEqual(
      store.outboxFor(ALICE).map((e) => e.messageId),
      [a2.id, a1.id]
    )
    store.markSent([a2.id], 5)
    assert.deepEqual(
      store.outboxFor(ALICE).map((e) => e.messageId),
      [a1.id]
    )
    assert.equal(store.outboxFor(ALICE, 1).length, 1)
    assert.throws(() => store.outboxFor('alice'), { name: 'InvalidPeerIdError' })
  })

  it('setEnvelope fills the envelope of a message queued unsealed, once; stored bytes are never replaced', () => {
    const o = outgoing({ envelope: new Uint8Array(0) })
    store.enqueueOutgoing([o])
    assert.equal(store.getOutboxEntry(o.id)?.envelope.byteLength, 0)
    const sealed = envelopeFor(o.id as string)
    assert.equal(store.setEnvelope(o.id, sealed), true)
    assert.equal(store.setEnvelope(o.id, new Uint8Array([1, 2, 3])), false)
    assert.deepEqual(store.getOutboxEntry(o.id)?.envelope, sealed)
    assert.equal(store.setEnvelope(newId(), sealed), false, 'not in the outbox')
    assert.throws(() => store.setEnvelope(o.id, new Uint8Array(0)), { name: 'StoreInputError', detail: 'envelope' })
    assert.throws(() => store.setEnvelope(o.id, new Uint8Array(MAX_ENVELOPE_BYTES + 1)), { name: 'OversizedError' })
  })

  it('deleting a queued message removes its outbox row (foreign key cascade)', () => {
    const o = outgoing()
    store.enqueueOutgoing([o])
    assert.equal(store.deleteMessage(o.id), true)
    assert.equal(store.getOutboxEntry(o.id), undefined)
    assert.deepEqual(store.dueOutbox(Number.MAX_SAFE_INTEGER - 1), [])
  })

  it('checks envelopes and times', () => {
    assert.throws(() => store.enqueueOutgoing([outgoing({ envelope: new Uint8Array(MAX_ENVELOPE_BYTES + 1) })]), {
      name: 'OversizedError',
      detail: 'envelope'
    })
    assert.throws(() => store.enqueueOutgoing([outgoing({ envelope: undefined as never })]), {
      name: 'StoreInputError',
      detail: 'envelope'
    })
    assert.throws(() => store.enqueueOutgoing([outgoing({ giveUpAt: Number.NaN })]), { detail: 'giveUpAt' })
    assert.throws(() => store.markSent([newId()], -1), { name: 'StoreInputError', detail: 'at' })
    assert.throws(() => store.markSent(['nope'], 1), { name: 'StoreInputError', detail: 'id' })
    assert.throws(() => store.dueOutbox(1, 0), { name: 'StoreInputError', detail: 'limit' })
    assert.equal(store.listMessages().length, 0)
  })
})
