import { ok } from 'node:assert/strict'
import { decodeCanonical, encodeCanonical } from '../../src/codec/index.ts'
import { EnvelopeSigned, open, seal } from '../../src/envelope/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { decryptInner } from '../helpers/envelope.ts'
import { fuzzCount, mutator, runFuzz, summary } from '../helpers/fuzz.ts'
import { Rng } from '../helpers/rng.ts'
import { SCHEMAS } from '../helpers/schemas.ts'
import { SCHEMA_FIELDS } from '../helpers/specs.ts'

/** Valid samples of every schema, taken from real envelopes and keys. */
function samples(): Record<string, Uint8Array[]> {
  const out: Record<string, Uint8Array[]> = {}
  for (const name of Object.keys(SCHEMAS)) out[name] = []
  const bob = createIdentity()
  for (const [i, body] of [new Uint8Array(0), new Uint8Array(40).fill(7), new Uint8Array(300).fill(9)].entries()) {
    const alice = createIdentity()
    const env = seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: bob.currentEncryptionKey(),
      body,
      contentType: i,
      ...(i === 1 ? { session: new Uint8Array(20) } : {})
    }).bytes
    out.envelope!.push(env.subarray(1))
    const inner = decryptInner(env, bob)
    out['envelope-inner']!.push(inner)
    const o = open(env, bob)
    out['envelope-signed']!.push(
      EnvelopeSigned.encode({
        header: env.subarray(0, 80),
        sender: new Uint8Array(38),
        messageId: o.messageId,
        createdAt: o.createdAt,
        contentType: o.contentType,
        body: o.body
      })
    )
    const signed = alice.currentEncryptionKey().signed
    out['signed-encryption-key']!.push(signed)
    out['encryption-key']!.push(SCHEMAS['signed-encryption-key']!.decode(signed).statement)
  }
  return out
}

describe('fuzz: codec decoders', () => {
  const all = samples()
  const rng = Rng.fromEnv()

  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const count = fuzzCount(9000)
    it(`${name}.decode: ${count} random and mutated inputs give only typed errors, each under 50 ms`, async () => {
      const m = mutator(rng, all[name]!, schema.maxBytes, SCHEMA_FIELDS[name])
      const r = await runFuzz(`${name}.decode`, rng, count, m.next, (b) => schema.decode(b))
      console.log(`      ${summary(name, r)}`)
      ok(r.errors.size > 0)
    })
  }

  const count = fuzzCount(9000)
  it(`decodeCanonical: ${count} inputs, typed errors only, each under 50 ms`, async () => {
    const generic = [
      encodeCanonical(
        new Map<unknown, unknown>([
          [0, 1],
          [1, [1, 2, new Uint8Array(3)]],
          [2, 'text'],
          [-1, null],
          ['k', true]
        ])
      ),
      encodeCanonical([new Map([[0, new Map([[0, 0]])]]), 2 ** 40, -(2 ** 40)]),
      ...Object.values(all).flat()
    ]
    const m = mutator(rng, generic, 1 << 16)
    const r = await runFuzz('decodeCanonical', rng, count, m.next, (b) => decodeCanonical(b, 1 << 16))
    console.log(`      ${summary('decodeCanonical', r)}`)
  })
})
