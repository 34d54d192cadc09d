/** Idle-connection trimming: above the high watermark, idle connections close down to the low one. */
import assert from 'node:assert/strict'
import { KEEP_ALIVE, type Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { startConnectionTrim } from '../../src/net/index.ts'
import { plainPeer, sleep, startNode, stopNodes, type TestNode, waitFor } from '../helpers/p2p.ts'

describe('connection trim', function () {
  this.timeout(60_000)
  let nodes: TestNode[] = []
  let plain: Libp2p[] = []
  const peersOf = async (n: number): Promise<Array<{ peerId: string; addrs: string[] }>> => {
    const made = await Promise.all(Array.from({ length: n }, () => plainPeer()))
    plain.push(...made)
    return made.map((p) => ({ peerId: p.peerId.toString(), addrs: p.getMultiaddrs().map((a) => a.toString()) }))
  }
  /** A Parley node with `trim`, connected to each of `peers`. */
  const trimmedNode = async (
    trim: NonNullable<Parameters<typeof startNode>[0]>['connectionTrim'],
    peers: Array<{ addrs: string[] }>
  ) => {
    const t = await startNode({ transport: 'memory', connectionTrim: trim })
    nodes.push(t)
    for (const p of peers) await t.node.dial(multiaddr(p.addrs[0]!))
    return t.node
  }
  afterEach(async () => {
    await Promise.allSettled(plain.map((p) => p.stop()))
    plain = []
    await stopNodes(nodes)
    nodes = []
  })

  it('closes idle connections above the high watermark down to the low one, keeping one with an open stream', async () => {
    const peers = await peersOf(6)
    const node = await trimmedNode({ high: 4, low: 2, graceMs: 0, intervalMs: 300 }, peers)
    assert.equal(node.getConnections().length, 6)
    // a stream held open: that connection is in use and must survive the trim
    const busy = peers[0]!
    const stream = await node.dialProtocol(peerIdFromString(busy.peerId), '/ipfs/ping/1.0.0')
    await waitFor(() => node.getConnections().length <= 2, 'the trim down to the low watermark', { timeoutMs: 10_000 })
    assert.ok(
      node.getConnections(peerIdFromString(busy.peerId)).length > 0,
      'the connection with an open stream was closed'
    )
    // at or below the high watermark nothing more is closed
    await sleep(1_500)
    assert.equal(node.getConnections().length, 2)
    await stream.close()
  })

  it('leaves a node at or below its high watermark alone, and young connections inside the grace period', async () => {
    const peers = await peersOf(3)
    const node = await trimmedNode({ high: 3, low: 1, graceMs: 0, intervalMs: 200 }, peers)
    await sleep(1_000)
    assert.equal(node.getConnections().length, 3, 'connections were closed at the high watermark')

    const more = await peersOf(2)
    const graceful = await trimmedNode({ high: 2, low: 0, graceMs: 60_000, intervalMs: 200 }, [...peers, ...more])
    await sleep(1_000)
    const kept = [...peers, ...more].filter((p) => graceful.getConnections(peerIdFromString(p.peerId)).length > 0)
    assert.equal(kept.length, 5, 'connections younger than the grace period were closed')
  })

  it('never trims a keep-alive peer (libp2p would dial it again at once), and trims low-value tags first', async () => {
    const peers = await peersOf(5)
    const node = await trimmedNode({ high: 2, low: 0, graceMs: 0, intervalMs: 300 }, [])
    const [kept, valued, ...rest] = peers
    // what kad-dht does to its closest peers, and a peer some service values highly
    await node.peerStore.merge(peerIdFromString(kept!.peerId), { tags: { [`${KEEP_ALIVE}-test`]: { value: 1 } } })
    await node.peerStore.merge(peerIdFromString(valued!.peerId), { tags: { valued: { value: 100 } } })
    for (const p of peers) await node.dial(multiaddr(p.addrs[0]!))
    const connected = (p: { peerId: string }): boolean => node.getConnections(peerIdFromString(p.peerId)).length > 0
    await waitFor(() => node.getConnections().length <= 1, 'the trim down to the keep-alive peer', {
      timeoutMs: 10_000
    })
    assert.ok(connected(kept!), 'the keep-alive peer was trimmed')
    assert.ok(!rest.some(connected) && !connected(valued!), 'an idle peer survived the trim')

    // with a low watermark that leaves room for one more, the highly valued peer is the one kept
    const again = await peersOf(3)
    const second = await trimmedNode({ high: 2, low: 1, graceMs: 0, intervalMs: 300 }, [])
    await second.peerStore.merge(peerIdFromString(again[1]!.peerId), { tags: { valued: { value: 100 } } })
    for (const p of again) await second.dial(multiaddr(p.addrs[0]!))
    await waitFor(() => second.getConnections().length <= 1, 'the trim down to the low watermark', {
      timeoutMs: 10_000
    })
    assert.ok(second.getConnections(peerIdFromString(again[1]!.peerId)).length > 0, 'the valued peer was trimmed first')
  })

  it('at or below its high watermark reads no tags and closes nothing; above it, trims reading tags', async () => {
    const peers = await peersOf(3)
    const t = await startNode({ transport: 'memory' })
    nodes.push(t)
    for (const p of peers) await t.node.dial(multiaddr(p.addrs[0]!))
    let reads = 0
    const counted = {
      getConnections: t.node.getConnections.bind(t.node),
      peerStore: new Proxy(t.node.peerStore, {
        get(target, name) {
          const value = Reflect.get(target, name)
          if (name !== 'get' || typeof value !== 'function') return value
          return (...args: unknown[]) => {
            reads++
            return value.apply(target, args)
          }
        }
      })
    }
    const stop = startConnectionTrim(counted, { high: 3, low: 1, graceMs: 0, intervalMs: 100 })
    try {
      await sleep(1_000)
      assert.equal(reads, 0, 'the trim read the peer store with nothing to trim')
      assert.equal(t.node.getConnections().length, 3)
      // one more connection puts it above the watermark: two looks later it trims, reading tags
      const [extra] = await peersOf(1)
      await t.node.dial(multiaddr(extra!.addrs[0]!))
      await waitFor(() => t.node.getConnections().length <= 1, 'the trim down to the low watermark', {
        timeoutMs: 10_000
      })
      assert.ok(reads >= 3, `${reads} peer-store reads for 4 candidates`)
    } finally {
      stop()
    }
  })

  it('leaves inbound connections to the peers that dialled them', async () => {
    const node = await trimmedNode({ high: 1, low: 0, graceMs: 0, intervalMs: 200 }, [])
    const dialers = await Promise.all([plainPeer(), plainPeer(), plainPeer()])
    plain.push(...dialers)
    for (const d of dialers) await d.dial(node.getMultiaddrs()[0]!)
    await sleep(1_500)
    assert.equal(node.getConnections().length, 3, 'inbound connections were trimmed')
  })
})
