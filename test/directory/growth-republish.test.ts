/**
 * A node publishes again once the network has doubled since its last publish, so its record moves
 * to the servers a lookup now converges on. The DHT and the network-size estimate are scripted: a
 * test sets the size a node would read from its routing table.
 */
import assert from 'node:assert/strict'
import { createDirectory, type Directory } from '../../src/directory/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { sleep } from '../helpers/p2p.ts'

/** The directory reads the estimate at most once a second. */
const CHECK_GAP_MS = 1_100

describe('directory: publishing again as the network grows', function () {
  this.timeout(30_000)
  let directory: Directory | undefined
  afterEach(() => directory?.stop())

  /** The two servers every put stores the record on, the closest it found (their multihashes). */
  const closest = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])]

  /**
   * A started directory whose puts are stored by the `closest` servers. `size` is the
   * estimate from the node's own table, `near` the one from a put's closest peers.
   */
  const grown = (near = 50) => {
    const state = { size: 50 as number | undefined, near, reads: 0, puts: 0, nearArgs: [] as Uint8Array[][] }
    directory = createDirectory({
      dht: {
        put: async function* () {
          state.puts++
          for (const bytes of closest)
            yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE', from: { toMultihash: () => ({ bytes }) } }
        },
        get: async function* () {}
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: (() => {
        let seq = 0
        return () => ++seq
      })(),
      networkSize: () => {
        state.reads++
        return state.size
      },
      networkSizeNear: (_key, peers) => {
        state.nearArgs.push(peers)
        return state.near
      },
      growthRepublish: { factor: 2, delayMs: 50 }
    })
    directory.start()
    return { state, directory }
  }

  const settle = (): Promise<void> => sleep(300)

  /** A new connection once the last check is a second old, the network then at `size`: the puts so far. */
  const connectAt = async (g: ReturnType<typeof grown>, size: number | undefined): Promise<number> => {
    await sleep(CHECK_GAP_MS)
    g.state.size = size
    g.directory.connected()
    await settle()
    return g.state.puts
  }

  it('publishes again at twice the size of the last publish, and not before', async () => {
    const g = grown()
    await settle()
    assert.equal(g.state.puts, 1, 'the first publish')
    assert.equal(await connectAt(g, 99), 1, 'under twice the size: no new put')
    g.state.near = 100
    assert.equal(await connectAt(g, 100), 2, 'twice the size: a new put')
    // the bar is now twice 100
    assert.equal(await connectAt(g, 150), 2)
    assert.equal(await connectAt(g, 200), 3)
  })

  it('measures the size at a publish from the servers the put stored on, not its own table', async () => {
    // a node that has just joined a network of 100: its table knows a few peers far from it
    const g = grown(100)
    g.state.size = 5
    await settle()
    assert.equal(g.state.puts, 1)
    assert.deepEqual(g.state.nearArgs, [closest])
    // its self-lookup has filled its neighbourhood: 150 is not twice the 100 the put saw
    assert.equal(await connectAt(g, 150), 1)
  })

  it('reads the estimate at most once a second however many connections come', async () => {
    const { state, directory } = grown()
    await settle()
    const before = state.reads
    for (let i = 0; i < 50; i++) directory.connected()
    assert.equal(state.reads - before, 1)
  })

  it('does nothing without an estimate, and once stopped', async () => {
    const g = grown()
    await settle()
    assert.equal(await connectAt(g, undefined), 1)
    g.directory.stop()
    assert.equal(await connectAt(g, 1_000), 1)
  })
})
