/**
 * A node's estimate of the DHT's size from its nearest peers: the arithmetic on synthetic ids
 * (hashed, as kad-dht's are), then the same estimate read from a real kad-dht routing table.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { distanceFraction, estimateNetworkSize, kadId, networkSizeOf } from '../../src/net/index.ts'
import { startNode, stopNodes, type TestNode, waitFor } from '../helpers/p2p.ts'

const ids = (n: number, tag: string): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => kadId(new TextEncoder().encode(`${tag}-${i}`)))

describe('net: estimating the network size', function () {
  this.timeout(60_000)

  it('measures XOR distance as a fraction of the key space', () => {
    const a = new Uint8Array(32)
    assert.equal(distanceFraction(a, a), 0)
    const far = new Uint8Array(32)
    far[0] = 0x80
    assert.equal(distanceFraction(a, far), 0.5)
    const near = new Uint8Array(32)
    near[1] = 0x01
    assert.equal(distanceFraction(a, near), 1 / 2 ** 16)
  })

  for (const n of [200, 2_000]) {
    it(`is close to ${n} in ${n}-node networks: within 15 % on average, within 2× but for the odd one`, () => {
      // one node of each of 40 independent networks: the nodes of one network share its clumps
      const estimates = Array.from({ length: 40 }, (_, net) => {
        const [self, ...others] = ids(n, `net${n}-${net}`) as [Uint8Array, ...Uint8Array[]]
        const estimate = estimateNetworkSize(self, others)
        assert.ok(estimate !== undefined)
        return estimate
      })
      const mean = estimates.reduce((s, x) => s + x, 0) / estimates.length
      assert.ok(Math.abs(mean - n) / n < 0.15, `mean ${mean.toFixed(0)} for ${n}`)
      const wild = estimates.filter((x) => x < n / 2 || x > n * 2).length
      assert.ok(wild <= 2, `${wild} of 40 estimates off by more than 2×`)
    })
  }

  it('uses only the nearest 20 peers, and has nothing to say without a peer', () => {
    const all = ids(500, 'nearest')
    const self = all[0]!
    const others = all.slice(1)
    const nearest20 = [...others].sort((x, y) => distanceFraction(self, x) - distanceFraction(self, y)).slice(0, 20)
    assert.equal(estimateNetworkSize(self, others), estimateNetworkSize(self, nearest20))
    // the order peers come in does not matter
    assert.equal(estimateNetworkSize(self, [...others].reverse()), estimateNetworkSize(self, others))
    assert.equal(estimateNetworkSize(self, []), undefined)
    // one peer half the key space away: a network of two
    const far = new Uint8Array(self)
    far[0]! ^= 0x80
    assert.equal(estimateNetworkSize(self, [far]), 2)
  })

  describe('from a real routing table', () => {
    let nodes: TestNode[] = []
    afterEach(async () => {
      await stopNodes(nodes)
      nodes = []
    })

    it('reads the kad ids of the peers kad-dht holds, and nothing before it holds any', async () => {
      const a = await startNode({ transport: 'memory' })
      nodes.push(a)
      assert.equal(networkSizeOf(a.node.services.dht), undefined)
      const peers = await Promise.all(Array.from({ length: 5 }, () => startNode({ transport: 'memory' })))
      nodes.push(...peers)
      for (const p of peers) await a.node.dial(p.node.getMultiaddrs()[0]!)
      const table = (a.node.services.dht as unknown as { routingTable: { size: number } }).routingTable
      await waitFor(() => table.size === 5, 'five peers in the table')
      // kad-dht hashes a peer's multihash; computed here from the peer id string, apart from kad-dht
      const idOf = (peerId: string): Uint8Array =>
        new Uint8Array(createHash('sha256').update(peerIdFromString(peerId).toMultihash().bytes).digest())
      const expected = estimateNetworkSize(
        idOf(a.peerId),
        peers.map((p) => idOf(p.peerId))
      )
      assert.ok(expected !== undefined)
      assert.equal(networkSizeOf(a.node.services.dht), expected)
    })
  })
})
