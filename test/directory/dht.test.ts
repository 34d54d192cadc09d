/**
 * The directory over a real Kad-DHT: 10 nodes on loopback TCP, each knowing only the first at start.
 * Forged records are put by an "evil" node (which runs no guard) and must be refused by every
 * honest DHT server at PUT time, not only by readers (reliability T5.1 / T5.2).
 */
import assert from 'node:assert/strict'
import { privateKeyToProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import {
  createDirectory,
  type LookupStats,
  peekProfileOrder,
  profileKey,
  recordKey,
  verifyProfileRecord
} from '../../src/directory/index.ts'
import { RecordRejectedError } from '../../src/errors.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'
import { libp2pPrivateKey } from '../../src/net/index.ts'
import {
  routingTableSize,
  sleep,
  startDhtNetwork,
  startNode,
  stopNodes,
  type TestNode,
  waitFor,
  waitForRoutingTables
} from '../helpers/p2p.ts'
import {
  DAY,
  dhtPut,
  dhtRecordKey,
  HOUR,
  nodeDirectory,
  oversizedProfile,
  plantRecord,
  profileSignedByAnother,
  signedProfile,
  withBadSignature
} from '../helpers/profiles.ts'

const utf8 = new TextEncoder()

describe('directory over a 10-node DHT on loopback', function () {
  this.timeout(120_000)
  let honest: TestNode[] = []
  let evil: TestNode | undefined

  before(async () => {
    honest = await startDhtNetwork(9)
    // the evil node keeps whatever it is given (no GuardedDatastore) and only puts
    evil = await startNode({ bootstrap: honest[0]!.addrs, datastore: new MemoryDatastore() })
    await waitForRoutingTables([...honest, evil], 9, 60_000, honest[0]!.addrs)
  })

  after(async () => {
    await stopNodes([...honest, evil])
  })

  /** Which honest servers hold a record under `key`, and its value on each. */
  async function holders(key: Uint8Array, of: TestNode[] = honest): Promise<Array<Uint8Array | undefined>> {
    return Promise.all(of.map((t) => t.guard!.getRecord(key)))
  }

  async function storedCount(key: Uint8Array): Promise<number> {
    return (await holders(key)).filter((v) => v !== undefined).length
  }

  it('a profile published by one node is resolved by another: name, encryption key, addresses', async () => {
    const publisher = honest[3]!
    const { directory: pubDir, identity } = nodeDirectory(publisher, { name: 'Alice', firstSeq: 5 })
    const result = await pubDir.publish()
    assert.equal(result.seq, 5)
    assert.ok(result.acks >= 6, `only ${result.acks} servers acked the put`)
    assert.ok((await storedCount(profileKey(publisher.peerId))) >= 7)

    const { directory: readerDir } = nodeDirectory(honest[7]!)
    const p = await readerDir.resolve(publisher.peerId)
    assert.ok(p !== undefined, 'the reader found no profile')
    assert.equal(p.peerId, publisher.peerId)
    assert.equal(p.name, 'Alice')
    assert.equal(p.seq, 5)
    assert.deepEqual(p.publicKey, identity.publicKey)
    assert.deepEqual(p.encryptionKey.id, identity.currentEncryptionKey().id)
    assert.deepEqual(p.encryptionKey.publicKey, identity.currentEncryptionKey().publicKey)
    const expected = publisher.node.getMultiaddrs().map((ma) => ma.toString())
    assert.ok(expected.length > 0)
    assert.deepEqual(p.addresses, expected)
    assert.ok(p.addresses.every((a) => a.startsWith('/ip4/127.0.0.1/tcp/')))
    // cached now: a second resolve is answered without the DHT
    assert.equal(readerDir.cached(publisher.peerId)?.seq, 5)
  })

  it('reports what a DHT lookup took: time to the first record, records seen; nothing for a cache hit', async () => {
    const publisher = honest[6]!
    const { directory: pubDir } = nodeDirectory(publisher, { name: 'Stats', firstSeq: 3 })
    assert.ok((await pubDir.publish()).acks > 0)
    const { directory: readerDir } = nodeDirectory(honest[2]!)
    const seen: LookupStats[] = []
    const onLookup = (s: LookupStats): void => {
      seen.push(s)
    }
    assert.equal((await readerDir.resolve(publisher.peerId, { fresh: true, onLookup }))?.seq, 3)
    assert.equal(seen.length, 1)
    const [found] = seen
    assert.ok(found!.firstRecordMs !== undefined && found!.firstRecordMs <= found!.ms, JSON.stringify(found))
    assert.ok(found!.records >= 1 && found!.records <= 3, JSON.stringify(found))
    // a cache hit runs no lookup
    await readerDir.resolve(publisher.peerId, { onLookup })
    assert.equal(seen.length, 1)
    // nobody published this one: a lookup that found nothing
    const nobody = createIdentity({ seed: new Uint8Array(32).fill(7) }).peerId
    assert.equal(await readerDir.resolve(nobody, { fresh: true, onLookup }), undefined)
    assert.equal(seen.length, 2)
    assert.deepEqual(
      { firstRecordMs: seen[1]!.firstRecordMs, records: seen[1]!.records },
      { firstRecordMs: undefined, records: 0 }
    )
    assert.ok(seen[1]!.ms > 0)
  })

  it('hands the first valid record to onFirstRecord as it comes, before the lookup ends, once per caller', async () => {
    const publisher = honest[5]!
    const { directory: pubDir } = nodeDirectory(publisher, { name: 'Early', firstSeq: 2 })
    assert.ok((await pubDir.publish()).acks > 0)
    // a lookup that hears every server (no quorum) and waits 1.5 s after its first record
    const { directory: readerDir } = nodeDirectory(honest[8]!, { settleMs: 1_500, quorum: 100 })
    const firsts: Array<{ caller: string; seq: number; peerId: string; at: number }> = []
    let stats: LookupStats | undefined
    const started = performance.now()
    const resolveOf = (caller: string) =>
      readerDir.resolve(publisher.peerId, {
        fresh: true,
        onLookup: (s) => {
          stats = s
        },
        onFirstRecord: (p) => firsts.push({ caller, seq: p.seq, peerId: p.peerId, at: performance.now() - started })
      })
    let aDoneAt = Number.POSITIVE_INFINITY
    const a = resolveOf('a').then((p) => {
      aDoneAt = performance.now() - started
      return p
    })
    // b joins the lookup in flight; c joins it once the first record has come
    const b = resolveOf('b')
    await waitFor(() => firsts.length > 0, 'a first record')
    const c = resolveOf('c')
    const [pa, pb, pc] = await Promise.all([a, b, c])
    assert.deepEqual([pa?.seq, pb?.seq, pc?.seq], [2, 2, 2])
    assert.deepEqual(firsts.map((f) => f.caller).sort(), ['a', 'b', 'c'])
    for (const f of firsts) {
      assert.equal(f.peerId, publisher.peerId)
      assert.equal(f.seq, 2)
    }
    // handed out when the first record came, while more were still coming, not when the lookup
    // ended (how long the lookup goes on after it is the machine's speed: 45 ms on an idle one)
    assert.ok(stats?.firstRecordMs !== undefined && stats.records > 1, JSON.stringify(stats))
    const callerA = firsts.find((f) => f.caller === 'a')!
    assert.ok(callerA.at <= stats.firstRecordMs + 50, `at ${callerA.at} ms; ${JSON.stringify(stats)}`)
    assert.ok(
      callerA.at < aDoneAt && stats.ms > stats.firstRecordMs,
      `at ${callerA.at} ms, done at ${aDoneAt} ms; ${JSON.stringify(stats)}`
    )
    // a cache hit runs no lookup and hands out nothing early
    let early = 0
    await readerDir.resolve(publisher.peerId, { onFirstRecord: () => early++ })
    assert.equal(early, 0)
  })

  it('a republished profile (higher seq) replaces the old one on the servers and for readers', async () => {
    const publisher = honest[4]!
    const { directory } = nodeDirectory(publisher, { name: 'v1', firstSeq: 10 })
    await directory.publish()
    const { directory: readerDir } = nodeDirectory(honest[1]!)
    assert.equal((await readerDir.resolve(publisher.peerId))?.seq, 10)
    const r2 = await directory.publish()
    assert.equal(r2.seq, 11)
    const values = (await holders(profileKey(publisher.peerId))).filter((v) => v !== undefined)
    assert.ok(values.length >= 7)
    assert.ok(
      values.every((v) => peekProfileOrder(v)?.seq === 11),
      `seqs held: ${values.map((v) => peekProfileOrder(v)?.seq)}`
    )
    assert.equal((await readerDir.resolve(publisher.peerId, { fresh: true }))?.seq, 11)
  })

  it('changed() republishes only when the profile reads differently from the one last published', async () => {
    const publisher = honest[5]!
    let name = 'before'
    let seq = 0
    const identity = createIdentity({ seed: publisher.seed })
    const directory = createDirectory({
      dht: publisher.node.services.dht,
      identity,
      content: () => ({ addresses: publisher.node.getMultiaddrs().map((ma) => ma.toString()), name }),
      nextSeq: () => ++seq
    })
    directory.start()
    try {
      await waitFor(() => directory.lastPublish !== undefined, 'the first publish', { timeoutMs: 30_000 })
      assert.equal(directory.lastPublish?.seq, 1)
      // the same addresses announced again (as a starting node does): no second put to K peers
      directory.changed()
      await sleep(1_500)
      assert.equal(seq, 1, 'an unchanged profile was published again')
      name = 'after'
      directory.changed()
      await waitFor(() => directory.lastPublish?.seq === 2, 'the republish after a change', { timeoutMs: 30_000 })
      const { directory: readerDir } = nodeDirectory(honest[2]!)
      assert.equal((await readerDir.resolve(publisher.peerId, { fresh: true }))?.name, 'after')
      // a rotated encryption key is a change too, though the content reads the same
      const rotated = identity.rotateEncryptionKey()
      directory.changed()
      await waitFor(() => directory.lastPublish?.seq === 3, 'the republish after a rotation', { timeoutMs: 30_000 })
      assert.deepEqual(directory.own?.encryptionKey.publicKey, rotated.publicKey)
      directory.changed()
      await sleep(1_500)
      assert.equal(seq, 3, 'published again with nothing changed')
    } finally {
      directory.stop()
    }
  })

  it('the selector keeps the highest seq: a reader gets it and corrects servers holding older ones', async () => {
    const victim = createIdentity()
    const key = profileKey(victim.peerId)
    const seqOf = (v: Uint8Array | undefined): number | undefined =>
      v === undefined ? undefined : peekProfileOrder(v)?.seq
    // three generations scattered over the network, the newest on only two servers
    const gens = [
      signedProfile(victim, { seq: 3 }),
      signedProfile(victim, { seq: 9 }),
      signedProfile(victim, { seq: 5 })
    ]
    for (const [i, t] of honest.entries()) {
      if (i === 8) continue // the reader holds nothing
      await plantRecord(t, key, i === 2 || i === 6 ? gens[1]! : i % 2 === 0 ? gens[0]! : gens[2]!)
    }
    const reader = honest[8]!
    let last: Uint8Array | undefined
    for await (const ev of reader.node.services.dht.get(key, { signal: AbortSignal.timeout(30_000) })) {
      if (ev.name === 'VALUE') last = ev.value
    }
    assert.equal(seqOf(last), 9, 'kad-dht get (with our selector) returned an older record')
    // the get sent the best record back to the servers that were wrong; the guard let it in
    const after = await holders(key, honest.slice(0, 8))
    assert.deepEqual(after.map(seqOf), Array(8).fill(9))

    const { directory } = nodeDirectory(honest[0]!)
    assert.equal((await directory.resolve(victim.peerId, { fresh: true }))?.seq, 9)
  })

  describe('forged records are refused by every honest server at PUT time', () => {
    let mallory: Identity

    before(() => {
      mallory = createIdentity({ seed: evil!.seed })
    })

    it('control: a valid record from the evil node IS stored (so the refusals below are the servers deciding)', async () => {
      const key = profileKey(evil!.peerId)
      const out = await dhtPut(evil!, key, signedProfile(mallory, { seq: 1 }))
      assert.ok(out.asked >= 7, `the put reached only ${out.asked} servers`)
      assert.equal(out.acks, out.asked)
      assert.equal(await storedCount(key), out.acks)
    })

    const now = Date.now()
    const cases: Array<{
      title: string
      /** Each case gets its own victim, so the evil node still holds every forgery when readers look. */
      key: (victim: Identity) => Uint8Array
      value: (victim: Identity) => Uint8Array | Promise<Uint8Array>
      /** The RecordRejectedError detail our rules give (undefined: kad-dht refuses, no validator). */
      detail?: string
    }> = [
      {
        title: 'bad signature (one bit flipped)',
        key: (victim) => profileKey(victim.peerId),
        value: (victim) => withBadSignature(signedProfile(victim, { seq: 100 })),
        detail: 'bad-signature'
      },
      {
        title: "a record claiming the victim, signed by the evil node's key",
        key: (victim) => profileKey(victim.peerId),
        value: (victim) => profileSignedByAnother(victim, mallory, 100),
        detail: 'bad-signature'
      },
      {
        title: "the evil node's own valid record under the victim's key",
        key: (victim) => profileKey(victim.peerId),
        value: () => signedProfile(mallory, { seq: 100 }),
        detail: 'wrong-owner'
      },
      {
        title: 'expired',
        key: (victim) => profileKey(victim.peerId),
        value: (victim) => signedProfile(victim, { seq: 100, issuedAt: now - 2 * DAY, expiresAt: now - HOUR }),
        detail: 'expired'
      },
      {
        title: 'expiry too far in the future (30 days)',
        key: (victim) => profileKey(victim.peerId),
        value: (victim) => signedProfile(victim, { seq: 100, issuedAt: now, expiresAt: now + 30 * DAY }),
        detail: 'lifetime'
      },
      {
        title: 'oversized (> 8 KiB, correctly signed)',
        key: (victim) => profileKey(victim.peerId),
        value: (victim) => oversizedProfile(victim, 100),
        detail: 'malformed'
      },
      {
        title: 'malformed CBOR',
        key: (victim) => profileKey(victim.peerId),
        value: () => Uint8Array.of(0xa2, 0x00, 0x01, 0x01, 0x5f, 0xff, 0xff, 0x13, 0x37),
        detail: 'malformed'
      },
      {
        title: 'a /parley/ key that is not a PeerId',
        key: () => recordKey('profile', 'not-a-peer-id'),
        value: (victim) => signedProfile(victim, { seq: 100 }),
        detail: 'bad-key'
      },
      {
        title: 'an unknown /parley/ kind',
        key: (victim) => recordKey('mailbox', victim.peerId),
        value: (victim) => signedProfile(victim, { seq: 100 }),
        detail: 'bad-key'
      },
      {
        // kad-dht would accept this by default: it is the evil key's genuine public key record
        title: '/pk/ namespace (a genuine libp2p public key record)',
        key: () => {
          const pub = evil!.node.peerId.toMultihash().bytes
          return Uint8Array.of(...utf8.encode('/pk/'), ...pub)
        },
        value: async () => publicKeyToProtobuf((await libp2pPrivateKey(evil!.seed)).publicKey),
        detail: 'namespace'
      },
      {
        title: '/ipns/ namespace',
        key: () => utf8.encode(`/ipns/${evil!.peerId}`),
        value: async () => privateKeyToProtobuf(await libp2pPrivateKey(new Uint8Array(32).fill(3))),
        detail: 'namespace'
      },
      {
        title: '/other/x namespace (no validator at all)',
        key: () => utf8.encode('/other/x'),
        value: () => utf8.encode('hello')
      }
    ]

    for (const c of cases) {
      it(c.title, async () => {
        const victim = createIdentity()
        const key = c.key(victim)
        const value = await c.value(victim)
        // the same rules every server runs say no, with the expected reason
        if (c.detail !== undefined) {
          const namespace = new TextDecoder().decode(key).split('/')[1]!
          await assert.rejects(
            honest[0]!.rules.dhtValidators[namespace]!(key, value),
            (err: unknown) => err instanceof RecordRejectedError && err.detail === c.detail
          )
        }
        const before = await storedCount(key)
        assert.equal(before, 0, 'an honest server held this key before the test')
        const out = await dhtPut(evil!, key, value)
        assert.ok(out.asked >= 7, `the put reached only ${out.asked} servers`)
        assert.equal(out.acks, 0, `${out.acks} servers acked a forged record`)
        assert.ok(out.errors >= out.asked, `${out.errors} refusals for ${out.asked} servers asked`)
        assert.equal(await storedCount(key), 0, 'an honest server stored a forged record')
        // the evil node itself holds it and offers it to readers, who must not take it
        assert.ok(await evil!.datastore.has(dhtRecordKey(key)))
        let values = 0
        for await (const ev of honest[6]!.node.services.dht.get(key, { signal: AbortSignal.timeout(30_000) })) {
          if (ev.name === 'VALUE') values++
        }
        assert.equal(values, 0, 'kad-dht get returned the forged record')
        const { directory } = nodeDirectory(honest[5]!)
        assert.equal(await directory.resolve(victim.peerId, { fresh: true }), undefined)
      })
    }

    it('a stale record (lower seq, genuinely signed) after a newer one: the guard refuses the replay', async () => {
      const owner = createIdentity()
      const key = profileKey(owner.peerId)
      const old = signedProfile(owner, { seq: 1, content: { addresses: ['/ip4/127.0.0.1/tcp/1111'] } })
      const fresh = signedProfile(owner, { seq: 2, content: { addresses: ['/ip4/127.0.0.1/tcp/2222'] } })
      // anyone may relay a genuine record: an honest node puts the newer one first
      const first = await dhtPut(honest[2]!, key, fresh)
      assert.ok(first.acks >= 7, `only ${first.acks} servers stored the fresh record`)
      const heldFresh = (await holders(key)).map((v) => (v === undefined ? undefined : peekProfileOrder(v)?.seq))
      assert.equal(heldFresh.filter((s) => s === 2).length, 9, `held: ${heldFresh}`)
      // both records pass the stateless validator: only the stored record tells them apart
      honest[0]!.rules.validate(key, old)

      const out = await dhtPut(evil!, key, old)
      assert.ok(out.asked >= 7)
      assert.equal(out.acks, 0, `${out.acks} servers took the stale record`)
      const held = (await holders(key)).map((v) => (v === undefined ? undefined : peekProfileOrder(v)?.seq))
      assert.deepEqual(held, Array(9).fill(2))

      const { directory } = nodeDirectory(honest[7]!)
      const p = await directory.resolve(owner.peerId, { fresh: true })
      assert.equal(p?.seq, 2)
      assert.deepEqual(p?.addresses, ['/ip4/127.0.0.1/tcp/2222'])
      assert.deepEqual(verifyProfileRecord(p!.bytes).seq, 2)
    })

    it('the network stayed whole through the refusals (the evil node still routes to every server)', () => {
      assert.ok(routingTableSize(evil!.node) >= 9)
      assert.ok(honest.every((t) => routingTableSize(t.node) >= 9))
    })
  })
})
