/**
 * The in-process cluster handle's view of a joiner (joinState) and its second self-lookup
 * (rejoin), on real nodes over the simulated memory network: the after-join pacing counts a
 * joiner as joined by them (src/sim/forming.ts).
 */
import assert from 'node:assert/strict'
import { localHandle } from '../../src/sim/handle.ts'
import { simulationNodeOptions } from '../../src/sim/index.ts'
import { waitFor } from '../helpers/p2p.ts'

describe('sim: the handle reads how far a node has joined', function () {
  this.timeout(60_000)

  it('counts kad-dht`s own self-query and each rejoin as a completed self-lookup', async () => {
    const handle = localHandle({
      seed: 31,
      nodes: 4,
      transport: 'memory',
      link: { latencyMs: 0, jitterMs: 0, loss: 0 },
      misbehaving: [],
      seeds: [0],
      nodeOptions: simulationNodeOptions(),
      onDelivered: () => {}
    })
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
