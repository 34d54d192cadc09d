/**
 * What a reader accepts from a lookup, whatever the DHT hands it. The DHT here is scripted: it
 * answers every get with the records a test gives it, as a misbehaving server (or a kad-dht that
 * skipped its own validator) would. Real servers refuse such records on PUT (dht.test.ts).
 */
import assert from 'node:assert/strict'
import { createDirectory, createProfileRecord } from '../../src/directory/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'

const HOUR = 3_600_000

function profileOf(identity: Identity, seq: number, expiresAt = Date.now() + HOUR): Uint8Array {
  return createProfileRecord(identity, { addresses: [], name: `seq ${seq}` }, { seq, issuedAt: Date.now(), expiresAt })
}

describe('directory: what a lookup accepts', () => {
  let gets: number
  /** A reader whose DHT answers the n-th query (from 1) with what `answer(n)` yields. */
  const scripted = (answer: (n: number) => Uint8Array[], local?: Uint8Array) => {
    gets = 0
    return createDirectory({
      ...(local !== undefined ? { localRecord: async () => local } : {}),
      dht: {
        put: async function* () {},
        get: async function* () {
          for (const value of answer(++gets)) yield { name: 'PEER_RESPONSE', record: { value } }
        }
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: () => 1
    })
  }
  /** A reader whose DHT answers every query with `records`. */
  const reader = (records: Uint8Array[], local?: Uint8Array) => scripted(() => records, local)

  it('takes the newest valid record of the peer asked for', async () => {
    const bob = createIdentity()
    const found = await reader([profileOf(bob, 3), profileOf(bob, 5), profileOf(bob, 4)]).resolve(bob.peerId)
    assert.equal(found?.peerId, bob.peerId)
    assert.equal(found?.seq, 5)
  })

  it('ignores a genuine profile of another peer under this peer’s key, and an expired one', async () => {
    const bob = createIdentity()
    const mallory = createIdentity()
    const stale = profileOf(bob, 9, Date.now() - 1)
    assert.equal(await reader([profileOf(mallory, 7), stale]).resolve(bob.peerId), undefined)
    // beside them, bob's own record still wins
    const found = await reader([profileOf(mallory, 7), stale, profileOf(bob, 2)]).resolve(bob.peerId)
    assert.equal(found?.peerId, bob.peerId)
    assert.equal(found?.seq, 2)
  })

  it('queries once more when a query ends with no valid record, and not a third time', async () => {
    const bob = createIdentity()
    // the first query finds nothing, the second finds bob
    const retrying = scripted((n) => (n === 2 ? [profileOf(bob, 4)] : []))
    assert.equal((await retrying.resolve(bob.peerId))?.seq, 4)
    assert.equal(gets, 2)
    // a peer nobody has a record of: two queries, then a miss
    const nobody = reader([])
    assert.equal(await nobody.resolve(createIdentity().peerId), undefined)
    assert.equal(gets, 2)
    // a query that found a record is not repeated
    const found = reader([profileOf(bob, 1)])
    assert.equal((await found.resolve(bob.peerId))?.seq, 1)
    assert.equal(gets, 1)
    // a reader holding a copy itself still asks the network once (for a newer one), not twice
    const holder = reader([], profileOf(bob, 6))
    assert.equal((await holder.resolve(bob.peerId))?.seq, 6)
    assert.equal(gets, 1)
  })

  it('a query that throws counts as one that found nothing', async () => {
    const bob = createIdentity()
    const directory = scripted((n) => {
      if (n === 1) throw new Error('no peers to ask')
      return [profileOf(bob, 2)]
    })
    assert.equal((await directory.resolve(bob.peerId))?.seq, 2)
    assert.equal(gets, 2)
  })

  it('looks nothing up for a name that is not a PeerId', async () => {
    const directory = reader([profileOf(createIdentity(), 1)])
    assert.equal(await directory.resolve('not-a-peer-id', { fresh: true }), undefined)
    assert.equal(gets, 0)
  })

  it('hands the first valid record out as it comes, while the lookup waits 300 ms for the next', async () => {
    const bob = createIdentity()
    const directory = createDirectory({
      dht: {
        put: async function* () {},
        get: async function* () {
          yield { name: 'PEER_RESPONSE', record: { value: profileOf(bob, 1) } }
          await new Promise((resolve) => setTimeout(resolve, 300))
          yield { name: 'PEER_RESPONSE', record: { value: profileOf(bob, 2) } }
        }
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: () => 1,
      quorum: 2,
      settleMs: 5_000
    })
    const started = performance.now()
    let firstAt: number | undefined
    let firstSeq: number | undefined
    const found = await directory.resolve(bob.peerId, {
      onFirstRecord: (p) => {
        firstAt = performance.now() - started
        firstSeq = p.seq
      }
    })
    const doneAt = performance.now() - started
    assert.equal(firstSeq, 1)
    assert.ok(firstAt !== undefined && firstAt < 150, `handed out at ${firstAt} ms`)
    assert.ok(doneAt >= 290, `the lookup ended at ${doneAt} ms`)
    assert.equal(found?.seq, 2, 'the lookup still returns the newest')
  })
})
