import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'
import {
  DEFAULT_SEEN_ID_RETENTION_MS,
  MAX_STORE_BATCH,
  MAX_STORE_LIST_LIMIT,
  MAX_STORED_BODY_BYTES,
  MAX_STORED_TEXT_BYTES
} from '../../src/constants.ts'
import { createStore, type Message, type Store } from '../../src/store/index.ts'
import { ALICE, BOB, incoming, ME, newId, outgoing, peer, tempHome } from './helpers.ts'

describe('store: incoming messages, dedup, reading', () => {
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

  it('stores an incoming message and returns it as a plain camelCase object', () => {
    const m = incoming({ text: 'héllo 👋', meta: { lang: 'fr' } })
    assert.deepEqual(store.insertIncoming([m]), ['inserted'])
    const got = store.getMessage(m.id)
    assert.deepEqual(got, {
      id: m.id as string,
      direction: 'in',
      peer: ALICE,
      from: ALICE,
      to: ME,
      contentType: 1,
      text: 'héllo 👋',
      body: m.body,
      status: 'received',
      error: null,
      createdAt: 1_000,
      receivedAt: 2_000,
      statusAt: 2_000,
      readAt: null,
      meta: { lang: 'fr' }
    } satisfies Message)
    assert.ok(store.hasSeen(m.id))
  })

  it('accepts the id as 16 bytes or as hex in either case, and stores lowercase hex', () => {
    const bytes = randomBytes(16)
    const hex = bytes.toString('hex')
    assert.deepEqual(store.insertIncoming([incoming({ id: bytes })]), ['inserted'])
    assert.equal(store.getMessage(hex.toUpperCase())?.id, hex)
    assert.deepEqual(store.insertIncoming([incoming({ id: hex.toUpperCase() })]), ['duplicate'])
  })

  it('drops a duplicate delivered again later: reported, nothing changed', () => {
    const m = incoming()
    store.insertIncoming([m])
    const again = { ...m, text: 'changed', receivedAt: 9_999 }
    assert.deepEqual(store.insertIncoming([again, incoming()]), ['duplicate', 'inserted'])
    assert.equal(store.getMessage(m.id)?.text, 'hello')
    assert.equal(store.getMessage(m.id)?.receivedAt, 2_000)
    assert.equal(store.listMessages().length, 2)
  })

  it('drops the same id twice within one batch', () => {
    const m = incoming()
    assert.deepEqual(store.insertIncoming([m, { ...m }, incoming(), m]), [
      'inserted',
      'duplicate',
      'inserted',
      'duplicate'
    ])
    assert.equal(store.listMessages().length, 2)
  })

  it('still drops a duplicate after the message was deleted (seen ids outlive messages)', () => {
    const m = incoming()
    store.insertIncoming([m])
    assert.equal(store.deleteMessage(m.id), true)
    assert.equal(store.getMessage(m.id), undefined)
    assert.equal(store.deleteMessage(m.id), false)
    assert.deepEqual(store.insertIncoming([m]), ['duplicate'])
    assert.equal(store.getMessage(m.id), undefined)
  })

  it('treats an incoming id equal to one of our outgoing ids as a duplicate', () => {
    const o = outgoing()
    store.enqueueOutgoing([o])
    assert.deepEqual(store.insertIncoming([incoming({ id: o.id })]), ['duplicate'])
    assert.equal(store.getMessage(o.id as string)?.direction, 'out')
  })

  it('prunes the seen ids of deleted messages by age; stored messages always dedup', () => {
    const kept = incoming({ receivedAt: 1_000 })
    const deletedOld = incoming({ receivedAt: 1_000 })
    const deletedNew = incoming({ receivedAt: 50_000 })
    store.insertIncoming([kept, deletedOld, deletedNew])
    store.deleteMessage(deletedOld.id)
    store.deleteMessage(deletedNew.id)
    assert.equal(store.pruneSeenIds(60_000), 0, 'the default retention keeps recent ids')
    assert.equal(store.pruneSeenIds(60_000, 20_000), 1)
    assert.equal(store.hasSeen(deletedNew.id), true)
    assert.deepEqual(store.insertIncoming([deletedNew]), ['duplicate'])
    // the message row still exists, so its id is still a duplicate whatever its age
    assert.equal(store.hasSeen(kept.id), true)
    assert.deepEqual(store.insertIncoming([kept]), ['duplicate'])
    // forgotten: past the retention the envelope layer refuses it as stale
    assert.equal(store.hasSeen(deletedOld.id), false)
    assert.ok(DEFAULT_SEEN_ID_RETENTION_MS > 30 * 24 * 3600 * 1000)
  })

  it('keeps the seen id of an incoming message however it is deleted (a trigger, not the API)', () => {
    const m = incoming({ receivedAt: 4_000 })
    store.insertIncoming([m])
    store.close()
    const db = new DatabaseSync(home.dbPath)
    db.exec('DELETE FROM messages')
    assert.deepEqual(
      { ...db.prepare('SELECT message_id, sender, seen_at FROM seen_ids').get() },
      { message_id: m.id, sender: ALICE, seen_at: 4_000 }
    )
    db.close()
    store = createStore({ path: home.dbPath })
    assert.deepEqual(store.insertIncoming([m]), ['duplicate'])
  })

  it('commits nothing of a batch that holds one bad message', () => {
    const good = incoming()
    assert.throws(() => store.insertIncoming([good, incoming({ from: 'not a peer id' })]), {
      name: 'InvalidPeerIdError',
      detail: 'from'
    })
    assert.equal(store.getMessage(good.id), undefined)
    assert.equal(store.hasSeen(good.id), false)
  })

  it('checks every field and caps sizes', () => {
    const bad: Array<[Record<string, unknown>, string, string]> = [
      [{ id: 'xyz' }, 'StoreInputError', 'id'],
      [{ id: new Uint8Array(15) }, 'StoreInputError', 'id'],
      [{ id: 'g'.repeat(32) }, 'StoreInputError', 'id'],
      [{ to: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' }, 'InvalidPeerIdError', 'to'],
      [{ contentType: -1 }, 'StoreInputError', 'contentType'],
      [{ contentType: 2 ** 32 }, 'StoreInputError', 'contentType'],
      [{ createdAt: 1.5 }, 'StoreInputError', 'createdAt'],
      [{ receivedAt: -1 }, 'StoreInputError', 'receivedAt'],
      [{ receivedAt: undefined }, 'StoreInputError', 'receivedAt'],
      [{ body: 'text' }, 'StoreInputError', 'body'],
      [{ body: new Uint8Array(MAX_STORED_BODY_BYTES + 1) }, 'OversizedError', 'body'],
      [{ text: 'x'.repeat(MAX_STORED_TEXT_BYTES + 1), body: new Uint8Array(1) }, 'OversizedError', 'text'],
      [{ text: 'é'.repeat(MAX_STORED_TEXT_BYTES / 2 + 1), body: new Uint8Array(1) }, 'OversizedError', 'text'],
      [{ text: '\ud800', body: new Uint8Array(1) }, 'StoreInputError', 'text'],
      [{ meta: [1] }, 'StoreInputError', 'meta'],
      [{ meta: { big: 'x'.repeat(20_000) } }, 'OversizedError', 'meta']
    ]
    for (const [fields, name, detail] of bad) {
      assert.throws(
        () => store.insertIncoming([incoming(fields as never)]),
        { name, detail },
        JSON.stringify(fields).slice(0, 60)
      )
    }
    assert.throws(() => store.insertIncoming('nope' as never), { name: 'StoreInputError' })
    const tooMany = Array.from({ length: MAX_STORE_BATCH + 1 }, () => incoming())
    assert.throws(() => store.insertIncoming(tooMany), { name: 'OversizedError' })
    assert.deepEqual(store.insertIncoming([]), [])
    assert.equal(store.listMessages().length, 0)
  })

  it('keeps a body stored from a view into a larger buffer exact', () => {
    const big = randomBytes(100)
    const m = incoming({ body: big.subarray(10, 20), text: undefined, contentType: 3 })
    store.insertIncoming([m])
    assert.deepEqual(store.getMessage(m.id)?.body, new Uint8Array(big.subarray(10, 20)))
    assert.equal(store.getMessage(m.id)?.text, null)
  })

  describe('listMessages', () => {
    // 25 messages: two peers, created 10 ms apart, with five pairs sharing a created_at
    const all: Array<{ id: string; createdAt: number; peer: string }> = []
    beforeEach(() => {
      all.length = 0
      const batch = []
      for (let i = 0; i < 25; i++) {
        const createdAt = 1_000 + Math.floor(i / (i < 10 ? 2 : 1)) * 10
        const from = i % 3 === 0 ? BOB : ALICE
        const m = incoming({ createdAt, from, text: `m${i}` })
        batch.push(m)
        all.push({ id: m.id as string, createdAt, peer: from })
      }
      store.insertIncoming(batch)
      all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
    })

    it('returns newest first, 50 by default, with id breaking ties', () => {
      assert.deepEqual(
        store.listMessages().map((m) => m.id),
        all.map((m) => m.id)
      )
    })

    it('pages with a message id cursor without skipping or repeating, ties included', () => {
      const seen: string[] = []
      let before: string | undefined
      for (;;) {
        const page = store.listMessages({ limit: 4, ...(before !== undefined ? { before } : {}) })
        if (page.length === 0) break
        assert.ok(page.length <= 4)
        seen.push(...page.map((m) => m.id))
        before = page.at(-1)!.id
      }
      assert.deepEqual(
        seen,
        all.map((m) => m.id)
      )
    })

    it('pages with a time cursor (strictly before) and filters by peer', () => {
      const t = all[5]!.createdAt
      assert.deepEqual(
        store.listMessages({ before: t }).map((m) => m.id),
        all.filter((m) => m.createdAt < t).map((m) => m.id)
      )
      const bobs = store.listMessages({ peer: BOB })
      assert.deepEqual(
        bobs.map((m) => m.id),
        all.filter((m) => m.peer === BOB).map((m) => m.id)
      )
      const page2 = store.listMessages({ peer: BOB, limit: 2, before: bobs[1]!.id })
      assert.deepEqual(
        page2.map((m) => m.id),
        bobs.slice(2, 4).map((m) => m.id)
      )
    })

    it('caps the limit and refuses bad options', () => {
      assert.equal(store.listMessages({ limit: 3 }).length, 3)
      assert.equal(store.listMessages({ limit: 1_000_000 }).length, 25)
      assert.ok(MAX_STORE_LIST_LIMIT === 1000)
      assert.throws(() => store.listMessages({ limit: 0 }), { name: 'StoreInputError', detail: 'limit' })
      assert.throws(() => store.listMessages({ limit: 2.5 }), { name: 'StoreInputError', detail: 'limit' })
      assert.throws(() => store.listMessages({ peer: 'bob' }), { name: 'InvalidPeerIdError' })
      assert.throws(() => store.listMessages({ before: newId() }), { name: 'StoreInputError', detail: 'before' })
      assert.throws(() => store.listMessages({ before: -5 }), { name: 'StoreInputError', detail: 'before' })
    })
  })

  it('caps a list at 1000 rows', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => incoming({ createdAt: i }))
    store.insertIncoming(batch)
    store.insertIncoming([incoming({ createdAt: 5_000 })])
    assert.equal(store.listMessages({ limit: 5000 }).length, 1000)
  })

  it('summarises conversations: last message, counts, unread, contact name', () => {
    const carol = peer('carol')
    store.insertIncoming([
      incoming({ from: ALICE, createdAt: 100, text: 'a1' }),
      incoming({ from: ALICE, createdAt: 300, text: 'a2' }),
      incoming({ from: carol, createdAt: 200, text: 'c1' })
    ])
    store.enqueueOutgoing([outgoing({ to: ALICE, createdAt: 400, text: 'to alice' })])
    store.enqueueOutgoing([outgoing({ to: BOB, createdAt: 50, text: 'to bob' })])
    store.addContact('Alice', ALICE)
    const convs = store.conversations()
    assert.deepEqual(
      convs.map((c) => [c.peer, c.contactName, c.lastText, c.lastDirection, c.lastMessageAt, c.count, c.unread]),
      [
        [ALICE, 'Alice', 'to alice', 'out', 400, 3, 2],
        [carol, null, 'c1', 'in', 200, 1, 1],
        [BOB, null, 'to bob', 'out', 50, 1, 0]
      ]
    )
    assert.equal(store.markRead(ALICE, 500, 100), 1, 'up to created_at 100')
    assert.equal(store.markRead(ALICE, 500), 1)
    assert.equal(store.markRead(ALICE, 600), 0)
    assert.equal(store.conversations()[0]!.unread, 0)
    assert.equal(store.conversations({ limit: 1 }).length, 1)
    assert.equal(store.listMessages({ peer: ALICE }).find((m) => m.direction === 'in')?.readAt, 500)
  })
})
