/**
 * The outbox worker on a new connection (flushPeer), over a real SQLite store. The network side is
 * a scripted MessageClient that acks everything: what is under test is which rows the worker reads
 * and sends, not the wire (test/messenger/delivery.test.ts covers that with real nodes).
 */
import assert from 'node:assert/strict'
import { createOutboxWorker, type OutboxWorker } from '../../src/messenger/outbox.ts'
import type { AckFrame, MessageClient } from '../../src/net/index.ts'
import { createStore, type Store } from '../../src/store/index.ts'
import { sleep, waitFor } from '../helpers/p2p.ts'
import { ALICE, BOB, outgoing, tempHome } from '../store/helpers.ts'

describe('outbox worker: flushing a peer that just connected', () => {
  let home: ReturnType<typeof tempHome>
  let store: Store
  let worker: OutboxWorker | undefined
  let reads: string[]
  let sent: Array<{ peerId: string; count: number }>

  beforeEach(() => {
    home = tempHome()
    store = createStore({ path: home.dbPath })
    reads = []
    sent = []
    // count the per-recipient reads a delivery round makes
    const outboxFor = store.outboxFor.bind(store)
    store.outboxFor = (peer: string, limit?: number) => {
      reads.push(peer)
      return outboxFor(peer, limit)
    }
  })
  afterEach(async () => {
    await worker?.stop()
    worker = undefined
    store.close()
    home.cleanup()
  })

  const start = (): OutboxWorker => {
    const client: MessageClient = {
      async send(peerId, envelopes) {
        sent.push({ peerId, count: envelopes.length })
        return envelopes.map((_, seq): AckFrame => ({ seq, status: 'ok' }))
      },
      close() {},
      closeAll() {},
      openChannels: 0
    }
    worker = createOutboxWorker({ store, client, onSent() {}, onFailed() {}, now: () => 2_000 })
    worker.start()
    return worker
  }

  it('with an empty outbox, a new connection costs no delivery round', async () => {
    const w = start()
    await sleep(50)
    reads.length = 0
    for (let i = 0; i < 20; i++) w.flushPeer(BOB)
    await sleep(100)
    assert.deepEqual(reads, [])
    assert.deepEqual(sent, [])
  })

  it('sends what waits for the peer at once, even before its retry time', async () => {
    // due only in an hour: a flush is what sends it now
    store.enqueueOutgoing([outgoing({ to: BOB, nextAttemptAt: 3_600_000 })])
    const w = start()
    await sleep(50)
    assert.deepEqual(sent, [])
    w.flushPeer(BOB)
    await waitFor(() => sent.length === 1, 'the flushed message')
    assert.deepEqual(sent, [{ peerId: BOB, count: 1 }])
    assert.equal(store.outboxFor(BOB).length, 0)
  })

  it('with rows for another peer only, reads that peer’s rows and sends nothing', async () => {
    store.enqueueOutgoing([outgoing({ to: ALICE, nextAttemptAt: 3_600_000 })])
    const w = start()
    await sleep(50)
    reads.length = 0
    w.flushPeer(BOB)
    await waitFor(() => reads.includes(BOB), 'a read of the peer’s rows')
    await sleep(50)
    assert.deepEqual(sent, [])
  })
})
