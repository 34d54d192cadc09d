/**
 * Kademlia's eviction rule on a full bucket, with real nodes: the oldest contacts are pinged, the
 * ones that answer stay and count as seen (not pinged again within the threshold), and one that
 * does not answer makes room. The bucket is made tiny (K = 2, no splitting) and the threshold
 * short, so a few nodes and seconds show what a big network does over hours.
 */
import assert from 'node:assert/strict'
import { sleep, startNode, stopNodes, type TestNode, waitFor } from '../helpers/p2p.ts'

const THRESHOLD_MS = 1_500

interface Table {
  size: number
  kb: { lastPingThreshold: number }
  addEventListener(type: 'peer:ping', listener: (evt: CustomEvent) => void): void
  find(peerId: unknown): Promise<unknown>
}

describe('kad-dht routing table: pinging old contacts of a full bucket', function () {
  this.timeout(60_000)
  let nodes: TestNode[] = []
  afterEach(async () => {
    await stopNodes(nodes)
    nodes = []
  })

  it('pings the old contacts once, counts the answers as contact, and still drops one that is gone', async () => {
    const a = await startNode({ transport: 'memory', dht: { kBucketSize: 2, prefixLength: 0, tableRefresh: false } })
    const peers = await Promise.all(Array.from({ length: 4 }, () => startNode({ transport: 'memory' })))
    nodes.push(a, ...peers)
    const [b, c, d, e] = peers as [TestNode, TestNode, TestNode, TestNode]
    const table = (a.node.services.dht as unknown as { routingTable: Table }).routingTable
    const pinged: string[] = []
    table.addEventListener('peer:ping', (evt) => pinged.push(String(evt.detail)))
    const has = async (n: TestNode): Promise<boolean> => (await table.find(n.node.peerId)) !== undefined

    await a.node.dial(b.node.getMultiaddrs()[0]!)
    await a.node.dial(c.node.getMultiaddrs()[0]!)
    await waitFor(() => table.size === 2, 'b and c in the table')
    table.kb.lastPingThreshold = THRESHOLD_MS
    await sleep(THRESHOLD_MS + 200)

    // d meets a full bucket of contacts past the threshold: both are pinged, both answer, d stays out
    pinged.length = 0
    await a.node.dial(d.node.getMultiaddrs()[0]!)
    await waitFor(() => pinged.length >= 2, 'the pings of b and c')
    assert.deepEqual(pinged.sort(), [b.peerId, c.peerId].sort())
    assert.equal(await has(d), false)

    // e right after: b and c answered a moment ago, so nobody is pinged and e stays out
    pinged.length = 0
    await a.node.dial(e.node.getMultiaddrs()[0]!)
    await sleep(700)
    assert.deepEqual(pinged, [])
    assert.equal(await has(e), false)
    assert.equal(table.size, 2)

    // past the threshold again, with c gone: c is dropped and the next contact takes its place
    await c.node.stop()
    await sleep(THRESHOLD_MS)
    await a.node.hangUp(d.node.peerId)
    await a.node.dial(d.node.getMultiaddrs()[0]!)
    await waitFor(async () => (await has(d)) && !(await has(c)), 'd in c’s place')
    assert.equal(await has(b), true)
  })
})
