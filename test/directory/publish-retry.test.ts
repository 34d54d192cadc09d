/**
 * A publish nobody stored is retried with a doubling delay that stops growing at the cap: a node
 * whose puts timed out in a busy network is findable again soon after it calms down.
 * The DHT here is scripted: its put ends at once with no server's ack. A real kad-dht put that
 * reaches nobody waits for the put's own 60-s timeout instead (measured), too slow to count retries.
 */
import assert from 'node:assert/strict'
import { createDirectory } from '../../src/directory/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { sleep } from '../helpers/p2p.ts'

describe('directory: retrying a publish nobody stored', function () {
  this.timeout(30_000)

  it('retries at base, 2×base, … and then every capMs, not ever more slowly', async () => {
    const puts: number[] = []
    let acks = -1
    const directory = createDirectory({
      dht: {
        // the query ran and found no server to store the record
        put: async function* () {
          puts.push(performance.now())
          yield { name: 'QUERY_COMPLETE' }
        },
        get: async function* () {}
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: (() => {
        let seq = 0
        return () => ++seq
      })(),
      publishRetry: { baseMs: 40, capMs: 160 }
    })
    directory.start()
    try {
      await sleep(2_000)
      acks = directory.lastPublish?.acks ?? -1
    } finally {
      directory.stop()
    }
    assert.equal(acks, 0)
    const gaps = puts.slice(1).map((at, i) => at - puts[i]!)
    // uncapped doubling (40, 80, 160, 320, 640, …) makes 6 puts in 2 s; capped at 160 ms, about 13
    assert.ok(puts.length >= 9, `${puts.length} puts, gaps ${gaps.map(Math.round)}`)
    for (const gap of gaps.slice(3)) assert.ok(gap < 160 + 150, `gaps ${gaps.map(Math.round)}`)
    assert.ok(gaps[0]! >= 35, `gaps ${gaps.map(Math.round)}`)
  })
})

describe('directory: a profile signed but held back', () => {
  it('signs the profile a peer may ask for without putting it; a later publish signs anew', async () => {
    let puts = 0
    const identity = createIdentity()
    let seq = 0
    const directory = createDirectory({
      dht: {
        put: async function* () {
          puts++
          yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
        },
        get: async function* () {}
      },
      identity,
      content: () => ({ addresses: ['/ip4/127.0.0.1/tcp/4001'], name: 'held' }),
      nextSeq: () => ++seq
    })
    const own = () => directory.own
    assert.equal(own(), undefined)
    const signed = directory.sign()
    assert.equal(puts, 0, 'put')
    assert.equal(directory.lastPublish, undefined)
    assert.equal(own(), signed)
    assert.deepEqual([signed.peerId, signed.seq, signed.name], [identity.peerId, 1, 'held'])
    const published = await directory.publish()
    assert.deepEqual([puts, published.seq, published.acks, own()?.seq], [1, 2, 1, 2])
  })
})
