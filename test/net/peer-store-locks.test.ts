/**
 * The peer store's locks after Parley's patch (patches/@libp2p+peer-store+12.0.28.patch): a small
 * per-peer read/write lock in place of mortice, and a read of a peer that no one is writing skips
 * the lock (an expired one is deleted under it). What the locks are for must still hold: writes
 * of one peer one at a time (a merge reads, changes and writes back, and two at once would lose
 * one), a read waits for a write asked for before it, and an abandoned wait leaves the lock to the
 * others. Real libp2p nodes (their own PersistentPeerStore).
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { createLibp2p } from 'libp2p'
import { noopLogger } from '../../src/net/index.ts'
import { plainPeer, sleep } from '../helpers/p2p.ts'

const somePeerId = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const addr = (name: string): Multiaddr => multiaddr(`/memory/peer-store-locks-${name}`)

describe('peer store locks', function () {
  this.timeout(30_000)
  let node: Libp2p
  let other: PeerId
  before(async () => {
    node = await plainPeer()
    other = await somePeerId()
  })
  after(async () => {
    await node?.stop()
  })

  it('a read while a merge of the same peer is under way sees the merge', async () => {
    const first = addr('1')
    const second = addr('2')
    await node.peerStore.merge(other, { multiaddrs: [first] })
    // not awaited: the merge holds the peer's write lock while the read is asked for
    const merging = node.peerStore.merge(other, { multiaddrs: [second] })
    const read = await node.peerStore.get(other)
    await merging
    assert.deepEqual(read.addresses.map((a) => a.multiaddr.toString()).sort(), [first, second].map(String).sort())
  })

  it('a read of a peer no one writes returns what was stored', async () => {
    const peer = await somePeerId()
    const stored = addr('3')
    await node.peerStore.merge(peer, { multiaddrs: [stored], protocols: ['/parley/test/1.0.0'] })
    const read = await node.peerStore.get(peer)
    assert.deepEqual(
      read.addresses.map((a) => a.multiaddr.toString()),
      [stored.toString()]
    )
    assert.deepEqual(read.protocols, ['/parley/test/1.0.0'])
    const info = await node.peerStore.getInfo(peer)
    assert.deepEqual(info.multiaddrs.map(String), [stored.toString()])
  })

  it('a read of an unknown peer fails with NotFoundError, and an aborted read with AbortError', async () => {
    const stranger = await somePeerId()
    await assert.rejects(node.peerStore.get(stranger), { name: 'NotFoundError' })
    await assert.rejects(node.peerStore.get(other, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })

  it('merges of one peer at once all land: each waits for the one before', async () => {
    const peer = await somePeerId()
    const addrs = Array.from({ length: 12 }, (_, i) => addr(`many-${i}`))
    await Promise.all(addrs.map((a) => node.peerStore.merge(peer, { multiaddrs: [a] })))
    const read = await node.peerStore.get(peer)
    assert.deepEqual(read.addresses.map((a) => a.multiaddr.toString()).sort(), addrs.map(String).sort())
  })

  it('a merge whose wait is aborted fails with AbortError and leaves the lock to the others', async () => {
    const peer = await somePeerId()
    const [a, b, c] = [addr('abort-1'), addr('abort-2'), addr('abort-3')]
    const stop = new AbortController()
    const first = node.peerStore.merge(peer, { multiaddrs: [a] })
    const abandoned = node.peerStore.merge(peer, { multiaddrs: [b] }, { signal: stop.signal })
    const last = node.peerStore.merge(peer, { multiaddrs: [c] })
    stop.abort()
    await assert.rejects(abandoned, { name: 'AbortError' })
    await Promise.all([first, last])
    const read = await node.peerStore.get(peer)
    assert.deepEqual(read.addresses.map((x) => x.multiaddr.toString()).sort(), [a, c].map(String).sort())
  })

  it('a read of an expired peer fails with NotFoundError and deletes it, under the lock', async () => {
    const datastore = new MemoryDatastore()
    const short = await createLibp2p({
      datastore,
      peerStore: { maxPeerAge: 1, maxAddressAge: 1 },
      connectionMonitor: { enabled: false },
      logger: noopLogger
    })
    try {
      const peer = await somePeerId()
      const key = new Key(`/peers/${peer.toCID().toString()}`)
      await short.peerStore.merge(peer, { multiaddrs: [addr('old')] })
      assert.equal(await datastore.has(key), true)
      await sleep(20)
      await assert.rejects(short.peerStore.get(peer), { name: 'NotFoundError' })
      assert.equal(await datastore.has(key), false)
    } finally {
      await short.stop()
    }
  })
})
