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
/** When, after a publish, the size to compare with is read (scaled down from 10 s). */
const BASELINE_MS = 500

describe('directory: publishing again as the network grows', function () {
  this.timeout(30_000)
  let directory: Directory | undefined
  afterEach(() => directory?.stop())

  /** A started directory whose puts are each stored by one server, and the network size it reads. */
  const grown = (size = 50) => {
    const state = { size: size as number | undefined, reads: 0, puts: 0 }
    let seq = 0
    directory = createDirectory({
      dht: {
        put: async function* () {
          state.puts++
          yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
        },
        get: async function* () {}
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: () => ++seq,
      networkSize: () => {
        state.reads++
        return state.size
      },
      growthRepublish: { factor: 2, delayMs: 50, baselineMs: BASELINE_MS }
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

  it('publishes again at twice the size read after the last publish, and not before', async () => {
    const g = grown()
    await settle()
    assert.equal(g.state.puts, 1, 'the first publish')
    // the first check past the baseline time reads the size to compare with
    assert.equal(await connectAt(g, 50), 1)
    assert.equal(await connectAt(g, 99), 1, 'under twice the size: no new put')
    assert.equal(await connectAt(g, 100), 2, 'twice the size: a new put')
    // after that put, the size is read again: 150, so the bar is 300
    assert.equal(await connectAt(g, 150), 2)
    assert.equal(await connectAt(g, 299), 2)
    assert.equal(await connectAt(g, 300), 3)
  })

  it('reads the size to compare with a while after the publish, not at it', async () => {
    // a node that has just joined a network of 100: its table knows a few peers far from it
    const g = grown(5)
    await settle()
    assert.equal(g.state.puts, 1)
    // its self-lookup fills its neighbourhood within moments: a check this soon reads nothing
    g.state.size = 100
    g.directory.connected()
    await settle()
    assert.equal(g.state.reads, 0)
    assert.equal(g.state.puts, 1)
    // past the baseline time: 100 is the size to compare with, and 150 is not twice it
    assert.equal(await connectAt(g, 100), 1)
    assert.equal(await connectAt(g, 150), 1)
    assert.equal(await connectAt(g, 200), 2)
  })

  it('reads the estimate at most once a second however many connections come', async () => {
    const { state, directory } = grown()
    await sleep(BASELINE_MS + 100)
    for (let i = 0; i < 50; i++) directory.connected()
    assert.equal(state.reads, 1)
  })

  it('refuses a growth factor of 1 or less, which would republish at every check', () => {
    for (const factor of [1, 0.5, 0, -2, Number.NaN])
      assert.throws(
        () =>
          createDirectory({
            dht: { put: async function* () {}, get: async function* () {} },
            identity: createIdentity(),
            content: () => ({ addresses: [] }),
            nextSeq: () => 1,
            growthRepublish: { factor, delayMs: 50, baselineMs: BASELINE_MS }
          }),
        RangeError
      )
  })

  it('does nothing without an estimate, and once stopped', async () => {
    const g = grown()
    await settle()
    assert.equal(await connectAt(g, undefined), 1)
    assert.equal(await connectAt(g, 50), 1)
    g.directory.stop()
    assert.equal(await connectAt(g, 1_000), 1)
  })

  it('counts its puts and says when the next one is due, so a simulator can wait for them to calm', async () => {
    let release: () => void = () => {}
    let seq = 0
    let addresses: string[] = []
    directory = createDirectory({
      dht: {
        put: async function* () {
          await new Promise<void>((resolve) => {
            release = resolve
          })
          yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
        },
        get: async function* () {}
      },
      identity: createIdentity(),
      content: () => ({ addresses }),
      nextSeq: () => ++seq,
      networkSize: () => 50
    })
    assert.equal(directory.publishDueInMs(), Number.POSITIVE_INFINITY, 'not started: nothing due')
    directory.start()
    await sleep(50)
    assert.equal(directory.publishDueInMs(), 0, 'a put running')
    assert.equal(directory.publishes, 0)
    release()
    await sleep(50)
    assert.equal(directory.publishes, 1)
    assert.equal(directory.lastPublish?.acks, 1)
    // the next is the regular republish, hours away
    assert.ok(directory.publishDueInMs() > 3_600_000, String(directory.publishDueInMs()))
    directory.changed()
    assert.ok(directory.publishDueInMs() > 3_600_000, 'the same profile: nothing sooner')
    addresses = ['/ip4/127.0.0.1/tcp/4001']
    directory.changed()
    const due = directory.publishDueInMs()
    assert.ok(due > 0 && due <= 500, `a changed profile is due within 500 ms, not ${due}`)
    directory.stop()
    assert.equal(directory.publishDueInMs(), Number.POSITIVE_INFINITY)
  })
})
