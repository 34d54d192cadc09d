/** The node factory: identity, protocols and the settings the network tests rely on. */
import assert from 'node:assert/strict'
import { type PeerDiscovery, type PeerId, peerDiscoverySymbol } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DHT_PROTOCOL } from '../../src/constants.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { dhtSettings, type MessageServer, serveMessages, USER_LIMITS } from '../../src/net/index.ts'
import { endsWithin, messageFrame, openRawStream } from '../helpers/msg-wire.ts'
import { sleep, startNode, stopNodes, type TestNode } from '../helpers/p2p.ts'

interface Internals {
  components: {
    connectionMonitor?: { abortConnectionOnPingFailure: boolean; pingIntervalMs: number }
  }
}

describe('createParleyNode', function () {
  this.timeout(30_000)
  let nodes: TestNode[] = []
  let servers: MessageServer[] = []
  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()))
    await stopNodes(nodes)
    nodes = []
    servers = []
  })

  it('is the identity: its PeerId is the one of the identity seed', async () => {
    const identity = createIdentity()
    const t = await startNode({ seed: identity.seed })
    nodes.push(t)
    assert.equal(t.peerId, identity.peerId)
  })

  it('speaks the Parley DHT protocol only, and listens where it was told', async () => {
    const t = await startNode()
    nodes.push(t)
    const protocols = t.node.getProtocols()
    assert.ok(protocols.includes(DHT_PROTOCOL), protocols.join(' '))
    assert.ok(!protocols.some((p) => p.startsWith('/ipfs/kad/')), protocols.join(' '))
    assert.ok(t.addrs.length === 1 && t.addrs[0]!.startsWith('/ip4/127.0.0.1/tcp/'), t.addrs.join(' '))
    assert.equal(await t.node.services.dht.getMode(), 'server')
  })

  it('pings connections but never aborts one on a missed ping (issue #3 flood finding)', async () => {
    const t = await startNode()
    nodes.push(t)
    const monitor = (t.node as unknown as Internals).components.connectionMonitor
    assert.ok(monitor !== undefined, 'no connection monitor')
    assert.equal(monitor.abortConnectionOnPingFailure, false)
  })

  it('keeps yamux keep-alive pings on a production connection and turns them off on a lean (simulated) one', async () => {
    const muxerOf = async (lean: boolean): Promise<{ enableKeepAlive: boolean; rtt: number }> => {
      const [a, b] = await Promise.all([startNode({ lean }), startNode({ lean })])
      nodes.push(a, b)
      const conn = await a.node.dial(multiaddr(b.addrs[0]!))
      const muxer = (conn as unknown as { muxer: { enableKeepAlive: boolean; rtt: number } }).muxer
      // a keep-alive muxer pings at once to learn the round trip (rtt -1 until an answer came)
      for (let i = 0; i < 40 && muxer.rtt < 0 && muxer.enableKeepAlive; i++) await sleep(50)
      return muxer
    }
    const production = await muxerOf(false)
    assert.equal(production.enableKeepAlive, true)
    assert.ok(production.rtt >= 0, `no keep-alive ping answered: rtt ${production.rtt}`)
    const lean = await muxerOf(true)
    await sleep(500)
    assert.equal(lean.enableKeepAlive, false)
    assert.equal(lean.rtt, -1)
  })

  it(`allows ${USER_LIMITS.msgMaxInboundStreams} message streams per connection; one more is reset, the others go on`, async () => {
    const [server, client] = await Promise.all([startNode(), startNode()])
    nodes.push(server, client)
    servers.push(await serveMessages(server.node, { onEnvelope: () => ({ status: 'ok' }) }))
    const open = []
    for (let i = 0; i < USER_LIMITS.msgMaxInboundStreams; i++) {
      const raw = await openRawStream(client.node, server.addrs[0]!)
      await raw.send(messageFrame(i, Uint8Array.of(i + 1)))
      assert.equal((await raw.ack()).status, 'ok')
      open.push(raw)
    }
    const extra = await openRawStream(client.node, server.addrs[0]!).catch((err: Error) => err)
    if (!(extra instanceof Error)) {
      await extra.send(messageFrame(99, Uint8Array.of(1))).catch(() => {})
      assert.equal((await endsWithin(extra, 5_000)).how, 'reset')
      assert.equal(extra.acks.length, 0)
    }
    for (const [i, raw] of open.entries()) {
      await raw.send(messageFrame(100 + i, Uint8Array.of(1)))
      assert.equal((await raw.ack()).status, 'ok')
    }
    assert.equal(client.node.getConnections(server.node.peerId).length, 1)
  })

  it('dials at most 8 of the peers a discovery source reports in one burst', async () => {
    const others = await Promise.all(Array.from({ length: 14 }, () => startNode({ transport: 'memory' })))
    nodes.push(...others)
    const peers = others.map((o) => ({ id: peerIdFromString(o.peerId), multiaddrs: o.addrs.map((a) => multiaddr(a)) }))
    // a source that reports every peer at once when the node has started (as mDNS does on a busy LAN)
    class Burst extends EventTarget {
      readonly [peerDiscoverySymbol] = this
      readonly [Symbol.toStringTag] = 'burst'
      start(): void {}
      stop(): void {}
      afterStart(): void {
        for (const detail of peers) this.dispatchEvent(new CustomEvent('peer', { detail }))
      }
    }
    const self = await startNode({ transport: 'memory', discovery: [() => new Burst() as unknown as PeerDiscovery] })
    nodes.push(self)
    await sleep(2_000)
    const dialled = new Set(self.node.getConnections().map((c) => c.remotePeer.toString()))
    assert.ok(dialled.size >= 1, 'discovery dialled nobody')
    assert.ok(dialled.size <= 8, `discovery dialled ${dialled.size} of 14 peers`)
  })

  it('reads back the DHT settings its kad-dht runs with', async () => {
    const plain = await startNode()
    const tuned = await startNode({ dht: { alpha: 3, disjointPaths: 2, verifyNewContacts: false } })
    nodes.push(plain, tuned)
    // kad-dht's defaults: alpha 10, as many disjoint paths as alpha
    assert.deepEqual(dhtSettings(plain.node), { alpha: 10, disjointPaths: 10, verifyNewContacts: true })
    assert.deepEqual(dhtSettings(tuned.node), { alpha: 3, disjointPaths: 2, verifyNewContacts: false })
  })

  it('sets how often kad-dht re-tags its closest peers, and refuses an interval under a second', async () => {
    const fast = await startNode({ transport: 'memory', dht: { closestPeersTagIntervalMs: 1_000 } })
    const plain = await startNode({ transport: 'memory' })
    nodes.push(fast, plain)
    /** Count the rounds of kad-dht's closest-peer tagger from now on. */
    const rounds = (n: TestNode): { count: number } => {
      const tagger = (
        n.node.services.dht as unknown as { routingTable: { closestPeerTagger: Record<string, unknown> } }
      ).routingTable.closestPeerTagger
      const update = tagger.updatePeerTags as () => Promise<void>
      const seen = { count: 0 }
      tagger.updatePeerTags = () => {
        seen.count++
        return update.call(tagger)
      }
      return seen
    }
    const [fastRounds, plainRounds] = [rounds(fast), rounds(plain)]
    await sleep(3_300)
    assert.ok(fastRounds.count >= 2 && fastRounds.count <= 4, `${fastRounds.count} rounds in 3.3 s at 1 s`)
    assert.ok(plainRounds.count <= 1, `${plainRounds.count} rounds in 3.3 s at kad-dht's 5 s`)
    await assert.rejects(startNode({ transport: 'memory', dht: { closestPeersTagIntervalMs: 500 } }), {
      name: 'RangeError'
    })
  })

  for (const verify of [true, false]) {
    it(`a dead peer named in a DHT reply ${verify ? 'stays out of' : 'enters'} the routing table with verifyNewContacts ${verify}`, async () => {
      const known = await startNode()
      const dead = await startNode({ bootstrap: known.addrs })
      nodes.push(known, dead)
      const inTable = (t: TestNode, peerId: string): Promise<unknown> =>
        (t.node.services.dht as unknown as { routingTable: { find(p: unknown): Promise<unknown> } }).routingTable.find(
          peerIdFromString(peerId)
        )
      for (let i = 0; i < 100 && (await inTable(known, dead.peerId)) === undefined; i++) await sleep(100)
      assert.ok((await inTable(known, dead.peerId)) !== undefined, 'setup: the known node never tabled the other')
      await dead.node.stop()
      const asker = await startNode({ bootstrap: known.addrs, dht: { verifyNewContacts: verify } })
      nodes.push(asker)
      for (let i = 0; i < 100 && (await inTable(asker, known.peerId)) === undefined; i++) await sleep(100)
      // the known node's answer names the dead one (the closest peer to its own id)
      for await (const _ of asker.node.services.dht.getClosestPeers(peerIdFromString(dead.peerId).toMultihash().bytes, {
        signal: AbortSignal.timeout(10_000)
      })) {
      }
      await sleep(2_000)
      const tabled = (await inTable(asker, dead.peerId)) !== undefined
      assert.equal(
        tabled,
        !verify,
        verify ? 'an unreachable peer was tabled without a ping' : 'a named peer was not tabled'
      )
    })
  }

  it('routing-table contacts hold PeerIds over bytes of their own, not views of the message they came in', async () => {
    const known = await startNode()
    const other = await startNode({ bootstrap: known.addrs })
    nodes.push(known, other)
    const asker = await startNode({ bootstrap: known.addrs, dht: { verifyNewContacts: false } })
    nodes.push(asker)
    type Contact = { peerId: PeerId }
    const contacts = (t: TestNode): Contact[] => [
      ...(
        t.node.services.dht as unknown as { routingTable: { kb: { toIterable(): Iterable<Contact> } } }
      ).routingTable.kb.toIterable()
    ]
    for (let i = 0; i < 100 && !contacts(asker).some((c) => c.peerId.toString() === other.peerId); i++) {
      for await (const _ of asker.node.services.dht.getClosestPeers(
        peerIdFromString(other.peerId).toMultihash().bytes,
        {
          signal: AbortSignal.timeout(10_000)
        }
      )) {
      }
      await sleep(100)
    }
    const tabled = contacts(asker)
    const ids = tabled.map((c) => c.peerId.toString())
    assert.ok(ids.includes(known.peerId) && ids.includes(other.peerId), `tabled: ${ids.join(', ')}`)
    for (const { peerId } of tabled) {
      const multihash = peerId.toMultihash()
      // an Ed25519 PeerId is a 38-byte identity multihash; a view into a frame sits in a larger buffer
      for (const bytes of [multihash.bytes, multihash.digest, peerId.publicKey!.raw]) {
        assert.ok(
          bytes.buffer.byteLength <= 38,
          `${peerId}: ${bytes.byteLength} bytes in a ${bytes.buffer.byteLength}-byte buffer`
        )
      }
    }
  })
})
