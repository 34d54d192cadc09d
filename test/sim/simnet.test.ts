import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { USER_LIMITS } from '../../src/net/index.ts'
import { createCluster, derive, simulationNodeOptions } from '../../src/sim/index.ts'
import { sleep } from '../helpers/p2p.ts'

/** Three nodes on the simulated network, bootstrapped through node 0. */
async function trio(
  link: { latencyMs: number; jitterMs: number; loss: number },
  transport: 'memory' | 'tcp' = 'memory'
) {
  const delivered: Array<{ index: number; id: string; at: number }> = []
  const cluster = createCluster({
    seed: 'simnet',
    indices: [0, 1, 2],
    transport,
    link,
    misbehaving: new Set(),
    seeds: new Set([0]),
    nodeOptions: { lean: true, backoff: { baseMs: 100, capMs: 500 } },
    rng: derive('simnet', 'link'),
    onDelivered: (index, id, at) => delivered.push({ index, id, at })
  })
  const a = await cluster.start(0, [])
  await cluster.start(1, [a.address!])
  await cluster.start(2, [a.address!])
  return { cluster, delivered }
}

const waitFor = async (check: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('sim: the simulated network', function () {
  this.timeout(120_000)

  it('adds the link latency to every round trip', async () => {
    const { cluster } = await trio({ latencyMs: 60, jitterMs: 0, loss: 0 })
    try {
      const n1 = cluster.nodes.get(1)!.messenger!
      const n0 = cluster.nodes.get(0)!
      await waitFor(() => n1.node.getConnections().length > 0)
      // ping is one round trip: at least twice the one-way latency
      const rtts: number[] = []
      // kad-dht pings new contacts too, and ping allows one outbound stream per connection: wait for its turn
      const ping = async (): Promise<number> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await n1.node.services.ping.ping(n0.messenger!.node.peerId)
          } catch (err) {
            if ((err as Error).name !== 'TooManyOutboundProtocolStreamsError' || attempt >= 50) throw err
            await sleep(100)
          }
        }
      }
      for (let i = 0; i < 3; i++) rtts.push(await ping())
      assert.ok(Math.min(...rtts) >= 115, `rtts ${rtts}`)
      assert.ok(cluster.network.bytesSent > 0)
    } finally {
      await cluster.stopAll()
    }
  })

  it('on TCP, what a connection has to send at once goes out in one writev, not a system call per buffer', async () => {
    // count what the sockets of this process hand to the kernel: one _write per call, or one
    // _writev for everything written while the socket was corked
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
    const [write, writev] = [proto._write, proto._writev]
    const counts = { writes: 0, writevs: 0, chunksInWritevs: 0 }
    proto._write = function (this: Socket, ...args: unknown[]) {
      counts.writes++
      return write.apply(this, args)
    }
    proto._writev = function (this: Socket, ...args: unknown[]) {
      counts.writevs++
      counts.chunksInWritevs += (args[0] as unknown[]).length
      return writev.apply(this, args)
    }
    try {
      const { cluster, delivered } = await trio({ latencyMs: 0, jitterMs: 0, loss: 0 }, 'tcp')
      try {
        const n1 = cluster.nodes.get(1)!.messenger!
        await n1.sendText(cluster.nodes.get(2)!.peerId, 'over loopback TCP')
        await waitFor(() => delivered.some((d) => d.index === 2))
      } finally {
        await cluster.stopAll()
      }
    } finally {
      proto._write = write
      proto._writev = writev
    }
    // libp2p writes a burst (a Noise handshake message, a stream's open and data) as several
    // buffers: they leave together (here 322 system calls for 489 buffers; 489 before)
    assert.ok(counts.writevs > 10, JSON.stringify(counts))
    // fewer system calls than buffers (Node only calls _writev with two or more chunks, so the
    // count of writevs alone is what says batching happened; this says by how much)
    const calls = counts.writes + counts.writevs
    const buffers = counts.writes + counts.chunksInWritevs
    assert.ok(calls < 0.8 * buffers, `${calls} system calls for ${buffers} buffers: ${JSON.stringify(counts)}`)
  })

  it('a partition cuts connections and refuses dials across groups until it heals', async () => {
    const { cluster, delivered } = await trio({ latencyMs: 0, jitterMs: 0, loss: 0 })
    try {
      const [n0, n1, n2] = [0, 1, 2].map((i) => cluster.nodes.get(i)!)
      await waitFor(() => n1!.messenger!.directory.own !== undefined && n2!.messenger!.directory.own !== undefined)
      // make sure 1 knows 2's profile before the cut, so the message is sealed and waits in the outbox
      assert.ok(await n1!.messenger!.resolve(n2!.peerId, { fresh: true }))
      cluster.partition([0, 0, 1])
      assert.equal(n2!.messenger!.node.getConnections().length, 0)
      assert.equal(n0!.messenger!.node.getConnections(n2!.messenger!.node.peerId).length, 0)
      const { id } = await n1!.messenger!.sendText(n2!.peerId, 'across the cut')
      await new Promise((r) => setTimeout(r, 1500))
      assert.equal(delivered.filter((d) => d.id === id).length, 0, 'nothing crosses a partition')
      assert.equal(n1!.messenger!.message(id)?.status, 'queued')
      cluster.partition(undefined)
      await waitFor(() => delivered.some((d) => d.id === id && d.index === 2))
      await waitFor(() => n1!.messenger!.message(id)?.status === 'sent')
    } finally {
      await cluster.stopAll()
    }
  })

  it('loss delays buffers like TCP retransmission but never corrupts or reorders them', async () => {
    const { cluster, delivered } = await trio({ latencyMs: 5, jitterMs: 5, loss: 0.2 })
    try {
      const [, n1, n2] = [0, 1, 2].map((i) => cluster.nodes.get(i)!)
      await waitFor(() => n2!.messenger!.directory.own !== undefined, 60_000)
      const ids: string[] = []
      for (let i = 0; i < 10; i++) ids.push((await n1!.messenger!.sendText(n2!.peerId, `message ${i}`)).id)
      await waitFor(() => ids.every((id) => delivered.some((d) => d.id === id)), 90_000)
      for (const [i, id] of ids.entries()) assert.equal(n2!.messenger!.message(id)?.text, `message ${i}`)
    } finally {
      await cluster.stopAll()
    }
  })

  it('a seed node takes every joiner, past the connection limit the other nodes keep', async () => {
    // libp2p refuses inbound connections at maxConnections: a seed at the limit would turn joiners away
    const joiners = 7
    const cluster = createCluster({
      seed: 'seed-limit',
      indices: Array.from({ length: joiners + 1 }, (_, i) => i),
      transport: 'memory',
      link: { latencyMs: 0, jitterMs: 0, loss: 0 },
      misbehaving: new Set(),
      seeds: new Set([0]),
      nodeOptions: { ...simulationNodeOptions(), limits: { ...USER_LIMITS, maxConnections: 3 } },
      rng: derive('seed-limit', 'link'),
      onDelivered: () => {}
    })
    try {
      const seed = await cluster.start(0, [])
      const reached = new Set<string>()
      seed.messenger!.node.addEventListener('connection:open', (evt) => reached.add(evt.detail.remotePeer.toString()))
      for (let i = 1; i <= joiners; i++) await cluster.start(i, [seed.address!])
      await waitFor(() => reached.size === joiners, 20_000)
      assert.equal(reached.size, joiners)
    } finally {
      await cluster.stopAll()
    }
  })
})
