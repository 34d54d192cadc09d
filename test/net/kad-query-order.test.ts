/**
 * A Kad-DHT lookup starts with the alpha peers of its routing table closest to the key, as
 * Kademlia says. kad-dht 16.4.5 shuffles its starting peers (to split them over disjoint paths)
 * and its query queue starts the first alpha it is handed at once, so without Parley's patch
 * (patches/@libp2p+kad-dht+16.4.5.patch) a lookup's first round went to alpha random peers of the
 * closest K, and took a round more to reach the key. Real nodes on the memory transport.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { startNode, stopNodes, type TestNode, waitFor } from '../helpers/p2p.ts'

const PEERS = 11
const ALPHA = 3

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()

/** Kademlia's distance between two kad ids, as a byte string that compares like the number. */
const distance = (a: Uint8Array, b: Uint8Array): Buffer => Buffer.from(a.map((x, i) => x ^ b[i]!))

describe('kad-dht lookups start at the closest peers', function () {
  this.timeout(60_000)
  let nodes: TestNode[] = []
  after(async () => {
    await stopNodes(nodes)
  })

  it(`sends a lookup's first ${ALPHA} queries to the ${ALPHA} peers closest to the key`, async () => {
    const a = await startNode({ transport: 'memory', dht: { alpha: ALPHA, disjointPaths: 1, tableRefresh: false } })
    const peers = await Promise.all(Array.from({ length: PEERS }, () => startNode({ transport: 'memory' })))
    nodes = [a, ...peers]
    for (const p of peers) await a.node.dial(p.node.getMultiaddrs()[0]!)
    const table = (a.node.services.dht as unknown as { routingTable: { size: number } }).routingTable
    await waitFor(() => table.size === PEERS, `all ${PEERS} peers in the routing table`)

    // a random 3 of 11 is the closest 3 once in 165 tries; five keys leave no room for luck
    for (let k = 0; k < 5; k++) {
      const key = sha256(new TextEncoder().encode(`kad-query-order-${k}`))
      const target = sha256(key)
      const closest = peers
        .map((p) => ({ id: p.peerId, d: distance(sha256(p.node.peerId.toMultihash().bytes), target) }))
        .sort((x, y) => Buffer.compare(x.d, y.d))
        .slice(0, ALPHA)
        .map((p) => p.id)

      const dialled: string[] = []
      const stop = new AbortController()
      try {
        for await (const event of a.node.services.dht.getClosestPeers(key, { signal: stop.signal })) {
          if (event.name !== 'DIAL_PEER') continue
          dialled.push((event.peer as PeerId).toString())
          if (dialled.length === ALPHA) break
        }
      } finally {
        stop.abort()
      }
      assert.deepEqual(dialled.sort(), closest.sort(), `key ${k}: the first round went elsewhere`)
    }
  })
})
