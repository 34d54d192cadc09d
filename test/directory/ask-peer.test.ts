/**
 * A resolve that may ask the peer itself (ResolveOptions.askPeer): a node is the authority on its
 * newest profile, so its valid answer ends the resolve without waiting for the lookup to settle;
 * anything else it says is ignored and the lookup decides. The DHT here is scripted: it hands out
 * one record, then stays silent until the lookup gives up on it.
 */
import assert from 'node:assert/strict'
import { type AskPeer, createDirectory, createProfileRecord, type VerifiedProfile } from '../../src/directory/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'

const HOUR = 3_600_000

function profileOf(identity: Identity, seq: number, expiresAt = Date.now() + HOUR): Uint8Array {
  return createProfileRecord(identity, { addresses: [], name: `seq ${seq}` }, { seq, issuedAt: Date.now(), expiresAt })
}

describe('directory: asking the peer itself', () => {
  const bob = createIdentity()
  let gets: number
  /** When each DHT get ended (the lookup stopped it, or it settled), from performance.now(). */
  let getsEndedAt: number[]
  let stop: AbortController

  beforeEach(() => {
    stop = new AbortController()
  })
  afterEach(() => stop.abort())

  /**
   * A reader whose DHT hands out `records` (none: a miss) after `delayMs`, then waits until the
   * lookup ends.
   */
  const reader = (records: Uint8Array[], settleMs: number, delayMs = 0, endLookupWhenAsking = true) => {
    gets = 0
    getsEndedAt = []
    return createDirectory({
      dht: {
        put: async function* () {},
        get: async function* (_key, options) {
          gets++
          const signal = AbortSignal.any([options?.signal ?? stop.signal, stop.signal])
          try {
            if (delayMs > 0) {
              const aborted = await new Promise<boolean>((resolve) => {
                const timer = setTimeout(() => resolve(false), delayMs)
                const onAbort = (): void => {
                  clearTimeout(timer)
                  resolve(true)
                }
                signal.addEventListener('abort', onAbort, { once: true })
              })
              if (aborted) return
            }
            for (const value of records) yield { name: 'PEER_RESPONSE', record: { value } }
            if (records.length === 0) return
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
          } finally {
            // aborted, or the lookup had what it wanted and stopped reading
            if (records.length > 0) getsEndedAt.push(performance.now())
          }
        }
      },
      identity: createIdentity(),
      content: () => ({ addresses: [] }),
      nextSeq: () => 1,
      settleMs,
      endLookupWhenAsking
    })
  }

  /** An AskPeer that answers `answer` and notes what it was handed. */
  const asking = (answer: () => Promise<Uint8Array | undefined>, now = false, known = false) => {
    const handed: Array<VerifiedProfile | undefined> = []
    const ask: AskPeer = {
      now,
      known,
      async ask(first) {
        handed.push(first)
        return answer()
      }
    }
    return { ask, handed }
  }

  it('takes the peer`s answer on the first record, newer than the DHT`s, without waiting for the lookup to settle', async () => {
    const directory = reader([profileOf(bob, 3)], 5_000)
    const { ask, handed } = asking(async () => profileOf(bob, 5))
    const started = performance.now()
    const found = await directory.resolve(bob.peerId, { askPeer: ask, signal: stop.signal })
    const ms = performance.now() - started
    assert.equal(found?.seq, 5)
    assert.equal(handed.length, 1)
    assert.equal(handed[0]?.seq, 3, 'asked with the first record, whose addresses reach the peer')
    assert.ok(ms < 2_500, `resolved after ${ms.toFixed(0)} ms: it waited for the 5-s settle`)
    assert.equal(directory.cached(bob.peerId)?.seq, 5, 'the answer is cached')

    // without askPeer, the same lookup settles on the DHT's record when its 5 s are up
    const plain = reader([profileOf(bob, 3)], 300)
    assert.equal((await plain.resolve(bob.peerId, { signal: stop.signal }))?.seq, 3)
  })

  it('stops the lookup once the peer has answered and no other resolve waits for it', async () => {
    const directory = reader([profileOf(bob, 3)], 3_000)
    const { ask } = asking(async () => profileOf(bob, 5))
    const started = performance.now()
    assert.equal((await directory.resolve(bob.peerId, { askPeer: ask }))?.seq, 5)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(getsEndedAt.length, 1, 'the DHT query was not stopped')
    const ranMs = getsEndedAt[0]! - started
    assert.ok(ranMs < 1_500, `the DHT query ran ${ranMs.toFixed(0)} ms, into the 3-s settle`)

    // the stopped lookup is no longer shared: a fresh resolve starts its own, which settles as before
    assert.equal((await directory.resolve(bob.peerId, { fresh: true }))?.seq, 3)
    assert.equal(gets, 2)
    assert.ok(getsEndedAt[1]! - started >= 2_900, 'the second lookup settled early')
  })

  it('lets a lookup run on while another resolve still waits for it', async () => {
    const directory = reader([profileOf(bob, 3)], 1_000)
    const { ask } = asking(async () => profileOf(bob, 5))
    const started = performance.now()
    const asked = directory.resolve(bob.peerId, { askPeer: ask, fresh: true })
    const plain = directory.resolve(bob.peerId, { fresh: true })
    assert.equal((await asked)?.seq, 5)
    const settled = await plain
    const ms = performance.now() - started
    assert.equal(gets, 1, 'the two resolves share one lookup')
    assert.equal(settled?.seq, 3, 'the plain resolve gets the lookup`s own result')
    assert.ok(ms >= 900, `the shared lookup ended after ${ms.toFixed(0)} ms, before its 1-s settle`)
  })

  it('asks a connected peer before any lookup, and looks up when it does not answer', async () => {
    const directory = reader([profileOf(bob, 3)], 50)
    const answered = asking(async () => profileOf(bob, 4), true)
    assert.equal((await directory.resolve(bob.peerId, { askPeer: answered.ask }))?.seq, 4)
    assert.equal(gets, 0, 'no DHT query')
    assert.deepEqual(answered.handed, [undefined])

    const failing = asking(async () => {
      throw new Error('stream reset')
    }, true)
    assert.equal((await directory.resolve(bob.peerId, { askPeer: failing.ask, fresh: true }))?.seq, 3)
    assert.equal(gets, 1)
    assert.equal(failing.handed.length, 1, 'asked once, not again on the first record')
  })

  it('asks a peer whose addresses are known at once, beside the lookup, not at its first record', async () => {
    // the DHT's first record comes after 1.5 s; the peer answers at once
    const directory = reader([profileOf(bob, 3)], 3_000, 1_500)
    const { ask, handed } = asking(async () => profileOf(bob, 5), false, true)
    const started = performance.now()
    const found = await directory.resolve(bob.peerId, { askPeer: ask })
    const ms = performance.now() - started
    assert.equal(found?.seq, 5)
    assert.ok(ms < 1_000, `resolved after ${ms.toFixed(0)} ms: it waited for the first record`)
    assert.deepEqual(handed, [undefined], 'asked once, before any record')
    assert.equal(gets, 1, 'the lookup started beside the question')
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    assert.equal(getsEndedAt.length, 1, 'the lookup was not stopped once the peer had answered')
    assert.ok(getsEndedAt[0]! - started < 2_500, 'the lookup ran into its settle')
  })

  it('asks again at the first record`s addresses when the known ones bring no answer', async () => {
    const directory = reader([profileOf(bob, 3)], 3_000, 300)
    let asked = 0
    // stale addresses: the first question fails; at the first record's addresses the peer answers
    const { ask, handed } = asking(
      async () => {
        if (asked++ === 0) throw new Error('dial refused')
        return profileOf(bob, 5)
      },
      false,
      true
    )
    const started = performance.now()
    assert.equal((await directory.resolve(bob.peerId, { askPeer: ask }))?.seq, 5)
    assert.ok(performance.now() - started < 2_000, 'waited for the lookup to settle')
    assert.equal(handed.length, 2)
    assert.equal(handed[0], undefined)
    assert.equal(handed[1]?.seq, 3, 'asked again with the first record')

    // an older answer than the DHT's, on the second question, is refused as before
    const older = reader([profileOf(bob, 3)], 300, 100)
    let staleAsked = 0
    const stale = asking(
      async () => {
        if (staleAsked++ === 0) throw new Error('dial refused')
        return profileOf(bob, 2)
      },
      false,
      true
    )
    assert.equal((await older.resolve(bob.peerId, { askPeer: stale.ask }))?.seq, 3)
    assert.equal(stale.handed.length, 2)

    // nothing in the DHT and no answer: nothing found, and asked only once
    const missing = reader([], 50)
    const silent = asking(async () => undefined, false, true)
    assert.equal(await missing.resolve(bob.peerId, { askPeer: silent.ask }), undefined)
    assert.deepEqual(silent.handed, [undefined])
  })

  it('gives a connected peer that hangs 2 s, not the caller`s whole wait, before it looks up', async () => {
    const directory = reader([profileOf(bob, 3)], 50)
    const hanging: AskPeer = {
      now: true,
      ask: (_first, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
    }
    const started = performance.now()
    const found = await directory.resolve(bob.peerId, { askPeer: hanging, signal: AbortSignal.timeout(30_000) })
    const ms = performance.now() - started
    assert.equal(found?.seq, 3)
    assert.ok(ms >= 1_900 && ms < 6_000, `looked up after ${ms.toFixed(0)} ms`)
  })

  it('ignores an answer that is not the peer`s valid, current profile, and the lookup decides', async () => {
    const mallory = createIdentity()
    const bad: Array<[string, () => Promise<Uint8Array | undefined>]> = [
      ['another peer`s genuine profile', async () => profileOf(mallory, 9)],
      ['an expired profile', async () => profileOf(bob, 9, Date.now() - 1)],
      ['bytes that are no record', async () => new Uint8Array([1, 2, 3])],
      ['a profile older than the DHT`s', async () => profileOf(bob, 2)],
      ['no profile', async () => undefined],
      [
        'a failure',
        async () => {
          throw new Error('protocol not supported')
        }
      ]
    ]
    for (const [what, answer] of bad) {
      const directory = reader([profileOf(bob, 3)], 50)
      const { ask, handed } = asking(answer)
      const found = await directory.resolve(bob.peerId, { askPeer: ask })
      assert.equal(found?.seq, 3, what)
      assert.equal(found?.peerId, bob.peerId, what)
      assert.equal(handed.length, 1, what)
    }
  })

  it('gives the peer settleMs to answer after a quorum of holders settled the lookup at once', async () => {
    // three holders of the same old record: the lookup has its quorum with the first answers
    const directory = reader([profileOf(bob, 3), profileOf(bob, 3), profileOf(bob, 3)], 1_000)
    const { ask } = asking(() => new Promise((resolve) => setTimeout(() => resolve(profileOf(bob, 5)), 100)))
    assert.equal((await directory.resolve(bob.peerId, { askPeer: ask }))?.seq, 5)
  })

  it('ends the lookup at its first record while the peer is asked', async () => {
    const directory = reader([profileOf(bob, 3)], 3_000)
    const { ask } = asking(() => new Promise((resolve) => setTimeout(() => resolve(profileOf(bob, 5)), 300)))
    const started = performance.now()
    assert.equal((await directory.resolve(bob.peerId, { askPeer: ask }))?.seq, 5)
    assert.equal(getsEndedAt.length, 1)
    const ranMs = getsEndedAt[0]! - started
    assert.ok(ranMs < 200, `the DHT query ran ${ranMs.toFixed(0)} ms, into the peer's 300-ms answer`)
  })

  it('settles on the newest record in a second lookup when the peer gives no answer', async () => {
    // the DHT hands out seq 3, then seq 4: the first record alone is not the newest
    const silent = asking(async () => undefined)
    const directory = reader([profileOf(bob, 3), profileOf(bob, 4)], 50)
    assert.equal((await directory.resolve(bob.peerId, { askPeer: silent.ask }))?.seq, 4)
    assert.equal(gets, 2, 'a quick lookup, then one that settles')

    // with endLookupWhenAsking off, the one lookup runs to its settle
    const old = reader([profileOf(bob, 3), profileOf(bob, 4)], 50, 0, false)
    assert.equal((await old.resolve(bob.peerId, { askPeer: silent.ask }))?.seq, 4)
    assert.equal(gets, 1)
  })

  it('lets a resolve that does not ask make a shared quick lookup settle', async () => {
    const directory = reader([profileOf(bob, 3), profileOf(bob, 4)], 300, 100)
    const { ask } = asking(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 50)))
    const asked = directory.resolve(bob.peerId, { askPeer: ask, fresh: true })
    const plain = directory.resolve(bob.peerId, { fresh: true })
    assert.equal((await plain)?.seq, 4)
    assert.equal((await asked)?.seq, 4)
    assert.equal(gets, 1, 'one lookup, shared, and no second one: it settled')
  })

  it('does not wait for a peer slower than the lookup', async () => {
    const directory = reader([profileOf(bob, 3)], 50)
    const slow = asking(() => new Promise((resolve) => setTimeout(() => resolve(profileOf(bob, 7)), 3_000)))
    const started = performance.now()
    assert.equal((await directory.resolve(bob.peerId, { askPeer: slow.ask }))?.seq, 3)
    assert.ok(performance.now() - started < 2_000, 'waited for the slow peer')
  })

  it('asks the peer without addresses (peer routing finds it) when the lookup finds no record', async () => {
    const missing = reader([], 50)
    const up = asking(async () => profileOf(bob, 4))
    assert.equal((await missing.resolve(bob.peerId, { askPeer: up.ask }))?.seq, 4)
    assert.deepEqual(up.handed, [undefined], 'asked once, with no record to take addresses from')
    assert.equal(missing.cached(bob.peerId)?.seq, 4, 'the answer is cached')

    // a peer that is down (or answers with someone else's record): still nothing
    const down = asking(async () => undefined)
    assert.equal(await reader([], 50).resolve(bob.peerId, { askPeer: down.ask }), undefined)
    assert.equal(down.handed.length, 1)
    const impostor = asking(async () => profileOf(createIdentity(), 9))
    assert.equal(await reader([], 50).resolve(bob.peerId, { askPeer: impostor.ask }), undefined)

    // without askPeer, a miss is a miss
    assert.equal(await reader([], 50).resolve(bob.peerId), undefined)
  })
})
