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
  const reader = (records: Uint8Array[]) => {
    gets = 0
    return createDirectory({
      dht: {
        put: async function* () {},
        get: async function* () {
          gets++
          for (const value of records) yield { name: 'PEER_RESPONSE', record: { value } }
        }
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: () => 1
    })
  }

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

  it('looks nothing up for a name that is not a PeerId', async () => {
    const directory = reader([profileOf(createIdentity(), 1)])
    assert.equal(await directory.resolve('not-a-peer-id', { fresh: true }), undefined)
    assert.equal(gets, 0)
  })
})
