import assert from 'node:assert/strict'
import { MAX_CACHED_PEER_RECORD_BYTES } from '../../src/constants.ts'
import { createStore, type PeerRecordEntry, type Store } from '../../src/store/index.ts'
import { ALICE, BOB, peer, tempHome } from './helpers.ts'

describe('store: contacts, directory cache, node state', () => {
  let home: ReturnType<typeof tempHome>
  let store: Store
  beforeEach(() => {
    home = tempHome()
    store = createStore({ path: home.dbPath, now: () => 777 })
  })
  afterEach(() => {
    store.close()
    home.cleanup()
  })

  describe('contacts', () => {
    it('adds, finds by name (any case) and by PeerId, lists in name order, removes', () => {
      assert.deepEqual(store.addContact('  Bob ', BOB), { name: 'Bob', peerId: BOB, createdAt: 777 })
      store.addContact('alice', ALICE, 5)
      assert.deepEqual(store.contactByName('BOB'), { name: 'Bob', peerId: BOB, createdAt: 777 })
      assert.equal(store.contactByPeer(ALICE)?.name, 'alice')
      assert.deepEqual(
        store.listContacts().map((c) => c.name),
        ['alice', 'Bob']
      )
      assert.equal(store.removeContact('ALICE'), true)
      assert.equal(store.removeContact('alice'), false)
      assert.equal(store.contactByPeer(ALICE), undefined)
      assert.equal(store.contactByName('nobody'), undefined)
      assert.equal(store.contactByName(''), undefined, 'a bad name is a miss, not an error')
    })

    it('refuses a taken name (case-insensitively, Unicode too) with ContactNameTakenError', () => {
      store.addContact('Straße', BOB)
      assert.throws(() => store.addContact('STRASSE', ALICE), { name: 'ContactNameTakenError', detail: 'name' })
      assert.throws(() => store.addContact('ｓｔｒａßｅ', ALICE), { name: 'ContactNameTakenError' })
      store.addContact('Émile', peer('e'))
      assert.throws(() => store.addContact('E\u0301MILE', ALICE), { name: 'ContactNameTakenError' })
    })

    it('refuses a PeerId that already has a contact with ContactPeerTakenError', () => {
      store.addContact('bob', BOB)
      assert.throws(() => store.addContact('robert', BOB), { name: 'ContactPeerTakenError', detail: 'peerId' })
      assert.equal(store.listContacts().length, 1)
    })

    it('refuses bad names and PeerIds', () => {
      for (const name of ['', '   ', 'x'.repeat(65), 'tab\there', 'evil\u202egnp.exe', 'zero\u200bwidth', ALICE, 42]) {
        assert.throws(() => store.addContact(name as string, ALICE), { name: 'StoreInputError', detail: 'name' })
      }
      assert.throws(() => store.addContact('ok', 'not-a-peer'), { name: 'InvalidPeerIdError', detail: 'peerId' })
      assert.throws(() => store.contactByPeer('nope'), { name: 'InvalidPeerIdError' })
      assert.equal(store.listContacts().length, 0)
    })
  })

  describe('directory cache', () => {
    const entry = (seq: number, fields: Partial<PeerRecordEntry> = {}): PeerRecordEntry => ({
      peerId: ALICE,
      record: new Uint8Array([seq, 1, 2, 3]),
      seq,
      expiresAt: 10_000 + seq,
      fetchedAt: 1_000 + seq,
      ...fields
    })

    it('keeps the highest sequence number: a lower one never replaces it', () => {
      assert.equal(store.putPeerRecord(entry(5)), true)
      assert.equal(store.putPeerRecord(entry(4)), false)
      assert.deepEqual(store.getPeerRecord(ALICE), entry(5))
      assert.equal(store.putPeerRecord(entry(5, { fetchedAt: 9_999 })), true, 'same seq refreshes')
      assert.equal(store.getPeerRecord(ALICE)?.fetchedAt, 9_999)
      assert.equal(store.putPeerRecord(entry(6)), true)
      assert.equal(store.getPeerRecord(ALICE)?.seq, 6)
    })

    it('deletes, prunes expired records and lists the most recently fetched first', () => {
      store.putPeerRecord(entry(1))
      store.putPeerRecord(entry(2, { peerId: BOB, expiresAt: 50_000 }))
      assert.deepEqual(
        store.listPeerRecords().map((e) => e.peerId),
        [BOB, ALICE]
      )
      assert.equal(store.prunePeerRecords(20_000), 1)
      assert.equal(store.getPeerRecord(ALICE), undefined)
      assert.equal(store.deletePeerRecord(BOB), true)
      assert.equal(store.deletePeerRecord(BOB), false)
    })

    it('checks what it caches', () => {
      assert.throws(() => store.putPeerRecord(entry(1, { peerId: 'x' })), { name: 'InvalidPeerIdError' })
      assert.throws(() => store.putPeerRecord(entry(1, { record: new Uint8Array(MAX_CACHED_PEER_RECORD_BYTES + 1) })), {
        name: 'OversizedError'
      })
      assert.throws(() => store.putPeerRecord(entry(-1)), { name: 'StoreInputError', detail: 'seq' })
      assert.throws(() => store.putPeerRecord(entry(1, { expiresAt: 1e300 })), { detail: 'expiresAt' })
    })
  })

  describe('meta', () => {
    it('gets, sets, overwrites and deletes node state', () => {
      assert.equal(store.getMeta('profile.seq'), undefined)
      store.setMeta('profile.seq', '1')
      store.setMeta('profile.seq', '2')
      assert.equal(store.getMeta('profile.seq'), '2')
      assert.equal(store.deleteMeta('profile.seq'), true)
      assert.equal(store.getMeta('profile.seq'), undefined)
      assert.throws(() => store.setMeta('', 'v'), { name: 'StoreInputError', detail: 'key' })
      assert.throws(() => store.setMeta('k', 'x'.repeat(64 * 1024 + 1)), { name: 'OversizedError', detail: 'value' })
      assert.throws(() => store.setMeta('k', 5 as never), { name: 'StoreInputError', detail: 'value' })
    })
  })
})
