import { ok, strictEqual } from 'node:assert/strict'
import { MAX_ENVELOPE_BYTES } from '../../src/constants.ts'
import { nobleEngine } from '../../src/crypto/index.ts'
import { type OpenedEnvelope, open, pad, readEnvelopeRouting, seal, unpad } from '../../src/envelope/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { toHex } from '../helpers/bytes.ts'
import { decryptInner, sealManual } from '../helpers/envelope.ts'
import { fuzzCount, mutator, runFuzz, summary } from '../helpers/fuzz.ts'
import { Rng } from '../helpers/rng.ts'
import { SCHEMA_FIELDS } from '../helpers/specs.ts'

const NOW = Date.UTC(2026, 2, 1, 12)

describe('fuzz: envelope decoders', () => {
  const rng = Rng.fromEnv()
  const alice = createIdentity()
  const bob = createIdentity()
  const sealToBob = (body: Uint8Array, extra: Partial<Parameters<typeof seal>[0]> = {}) =>
    seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: bob.currentEncryptionKey(),
      body,
      createdAt: NOW,
      ...extra
    }).bytes
  const bodies = [new Uint8Array(0), new Uint8Array(200).fill(1), new Uint8Array(3000).fill(2), new Uint8Array(10)]
  const envelopes = [
    sealToBob(bodies[0]!),
    sealToBob(bodies[1]!),
    sealToBob(bodies[2]!, { contentType: 3 }),
    sealToBob(bodies[3]!, { session: new Uint8Array(64).fill(5) })
  ]
  const inners = envelopes.map((e) => decryptInner(e, bob))
  const genuine = new Set(envelopes.map((e) => toHex(open(e, bob, { now: NOW }).messageId)))
  /** Anything that opens must be one of Alice's real messages (only she can sign as her). */
  const mustBeGenuine = (value: unknown): void => {
    const o = value as OpenedEnvelope
    strictEqual(o.sender, alice.peerId)
    ok(genuine.has(toHex(o.messageId)), 'a message Alice never sent')
    ok(bodies.some((b) => toHex(b) === toHex(o.body)))
  }
  const innerMutator = mutator(rng, inners, MAX_ENVELOPE_BYTES, SCHEMA_FIELDS['envelope-inner'])
  const wireMutator = mutator(rng, envelopes, MAX_ENVELOPE_BYTES, SCHEMA_FIELDS.envelope)

  /**
   * Most inputs are mutated wire bytes (refused at parsing, routing or the AEAD); a quarter are
   * properly encrypted to Bob around a mutated inner or mutated padding, to reach the inner decoder,
   * the sender check, the signature and the clock.
   */
  const nextEnvelope = (): Uint8Array => {
    if (!rng.bool(0.25)) return wireMutator.next()
    const inner = innerMutator.next()
    const plain = rng.bool(0.8) ? pad(inner) : inner
    // too big to fit an envelope at all (seal would refuse it): mutate wire bytes instead
    if (plain.byteLength > MAX_ENVELOPE_BYTES - 256) return wireMutator.next()
    return sealManual({
      recipient: bob,
      encryptionKey: bob.currentEncryptionKey(),
      engine: bob.engine,
      plaintext: () => plain
    })
  }

  const openCount = fuzzCount(15_000)
  it(`open (node engine): ${openCount} inputs, typed errors only, each under 50 ms`, async () => {
    const r = await runFuzz('open', rng, openCount, nextEnvelope, (b) => open(b, bob, { now: NOW }), mustBeGenuine)
    console.log(`      ${summary('open', r)}`)
    for (const n of ['MalformedEnvelopeError', 'DecryptionFailedError', 'BadSignatureError', 'UnknownKeyIdError']) {
      ok((r.errors.get(n) ?? 0) > 0, `never reached ${n}`)
    }
  })

  const nobleCount = fuzzCount(300)
  it(`open (noble engine): ${nobleCount} inputs, typed errors only, each under 50 ms`, async () => {
    const bobNoble = createIdentity({
      seed: bob.seed,
      engine: nobleEngine(),
      encryptionKeys: bob.encryptionKeys.map((k) => ({ privateKey: k.privateKey, createdAt: k.createdAt }))
    })
    const r = await runFuzz(
      'open/noble',
      rng,
      nobleCount,
      nextEnvelope,
      (b) => open(b, bobNoble, { now: NOW }),
      mustBeGenuine
    )
    console.log(`      ${summary('open/noble', r)}`)
  })

  const routingCount = fuzzCount(10_000)
  it(`readEnvelopeRouting: ${routingCount} inputs, typed errors only, each under 50 ms`, async () => {
    const r = await runFuzz('readEnvelopeRouting', rng, routingCount, wireMutator.next, (b) => readEnvelopeRouting(b))
    console.log(`      ${summary('readEnvelopeRouting', r)}`)
  })

  const unpadCount = fuzzCount(5000)
  it(`unpad: ${unpadCount} inputs never throw (undefined when not padded as pad() does)`, async () => {
    const m = mutator(rng, inners.map(pad), MAX_ENVELOPE_BYTES)
    const r = await runFuzz('unpad', rng, unpadCount, m.next, (b) => unpad(b))
    ok(r.errors.size === 0)
    console.log(`      ${summary('unpad', r)}`)
  })
})
