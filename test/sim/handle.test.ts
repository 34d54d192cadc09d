/**
 * The in-process cluster handle's view of a joiner (joinState) and its second self-lookup
 * (rejoin), on real nodes over the simulated memory network: the after-join pacing counts a
 * joiner as joined by them (src/sim/forming.ts). And what it reads from a node's store at a run's
 * end: a message in its recipient's inbox (committed), whose report may still be on its way.
 */
import assert from 'node:assert/strict'
import { localHandle } from '../../src/sim/handle.ts'
import { simulationNodeOptions } from '../../src/sim/index.ts'
import { waitFor } from '../helpers/p2p.ts'

/** An in-process handle of `nodes` nodes on the simulated memory network, node 0 the seed. */
function memoryHandle(seed: number, nodes: number, onDelivered: (id: string, at: number) => void = () => {}) {
  return localHandle({
    seed,
    nodes,
    transport: 'memory',
    link: { latencyMs: 0, jitterMs: 0, loss: 0 },
    misbehaving: [],
    seeds: [0],
    nodeOptions: simulationNodeOptions(),
    onDelivered
  })
}

describe('sim: the handle reads how far a node has joined', function () {
  this.timeout(60_000)

  it('counts kad-dht`s own self-query and each rejoin as a completed self-lookup', async () => {
    const handle = memoryHandle(31, 4)
    try {
      const seed = await handle.start(0, [], { publish: false })
      for (const i of [1, 2, 3]) await handle.start(i, [seed], { publish: false })
      // kad-dht runs its first self-query about a second after start and announces it
      await waitFor(async () => (await handle.joinState(1)).selfLookups >= 1, "node 1's self-query")
      const before = await handle.joinState(1)
      assert.ok(before.contacts >= 1, JSON.stringify(before))
      await handle.rejoin(1)
      const after = await handle.joinState(1)
      assert.equal(after.selfLookups, before.selfLookups + 1, JSON.stringify([before, after]))
      assert.ok(after.contacts >= before.contacts)
      // a node that is down has joined nothing, and a rejoin of it does nothing
      await handle.stop(3)
      assert.deepEqual(await handle.joinState(3), { contacts: 0, selfLookups: 0 })
      await handle.rejoin(3)
    } finally {
      await handle.stopAll()
    }
  })
})

describe('sim: the handle reads what a recipient committed', function () {
  this.timeout(60_000)

  it("finds a delivered message in its recipient's inbox, at the time the delivery was reported", async () => {
    const reported = new Map<string, number>()
    const handle = memoryHandle(32, 3, (id, at) => reported.set(id, at))
    try {
      const seed = await handle.start(0, [])
      for (const i of [1, 2]) await handle.start(i, [seed])
      const { id } = await handle.send(1, 2, 'hello')
      const at = await waitFor(() => reported.get(id), 'the delivery report')
      assert.deepEqual(await handle.committed(2, [id, '0'.repeat(32)]), [{ id, at }])
      // the sender's copy is not a commit to an inbox, and node 0 never saw the message
      assert.deepEqual(await handle.committed(1, [id]), [])
      assert.deepEqual(await handle.committed(0, [id]), [])
      // the store outlives a stop
      await handle.stop(2)
      assert.deepEqual(await handle.committed(2, [id]), [{ id, at }])
    } finally {
      await handle.stopAll()
    }
  })
})
