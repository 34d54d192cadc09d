/**
 * GuardedDatastore's storage of values: what it keeps must not keep more memory alive than the value.
 * (Its refusal of stale and forged DHT records is tested over a real DHT in test/directory/dht.test.ts.)
 */
import assert from 'node:assert/strict'
import { Libp2pRecord } from '@libp2p/record'
import { Key } from 'interface-datastore'
import { createRecordRules } from '../../src/directory/index.ts'
import { GuardedDatastore } from '../../src/net/record-guard.ts'

/** `bytes` copied into the middle of a larger buffer, as a value sliced from a pool slab or a frame arrives. */
function sliceOfLarger(bytes: Uint8Array, size = 8192): Buffer {
  const slab = Buffer.alloc(size, 0xee)
  slab.set(bytes, 100)
  return slab.subarray(100, 100 + bytes.byteLength)
}

describe('GuardedDatastore: stored values own their memory', () => {
  const peerKey = new Key('/peers/bafzexample')

  it('a peer-store value that is a slice of an 8 KiB slab is stored in a buffer of its own', async () => {
    const store = new GuardedDatastore({ rules: createRecordRules() })
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])
    const slice = sliceOfLarger(bytes)
    await store.put(peerKey, slice)
    const stored = await store.get(peerKey)
    assert.deepEqual(new Uint8Array(stored), bytes)
    assert.equal(stored.buffer.byteLength, bytes.byteLength)
    assert.notEqual(stored.buffer, slice.buffer)
    // a copy: the slab's next user cannot change what was stored
    slice.fill(0)
    assert.deepEqual(new Uint8Array(await store.get(peerKey)), bytes)
  })

  it('a DHT record that is a slice of its network frame is stored in a buffer of its own', async () => {
    const store = new GuardedDatastore({ rules: createRecordRules() })
    const record = new Libp2pRecord(new TextEncoder().encode('/parley/x'), new Uint8Array([7, 7, 7]), new Date())
    const serialized = record.serialize()
    const key = new Key('/dht/record/abc')
    await store.put(key, sliceOfLarger(serialized, 65_536))
    const stored = await store.get(key)
    assert.deepEqual(new Uint8Array(stored), new Uint8Array(serialized))
    assert.equal(stored.buffer.byteLength, serialized.byteLength)
    assert.deepEqual(Libp2pRecord.deserialize(stored).value, new Uint8Array([7, 7, 7]))
  })

  it('a value that already owns its whole buffer is stored as it is, without a copy', async () => {
    const store = new GuardedDatastore({ rules: createRecordRules() })
    const own = new Uint8Array([4, 5, 6])
    await store.put(peerKey, own)
    assert.equal(await store.get(peerKey), own)
  })
})
