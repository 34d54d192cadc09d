import { ok, strictEqual } from 'node:assert/strict'
import { ContentType } from '../../src/constants.ts'
import { nobleEngine } from '../../src/crypto/index.ts'
import { EnvelopeWire, open, seal } from '../../src/envelope/index.ts'
import { ParleyError } from '../../src/errors.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { concatBytes, fixedBytes, flipBit } from '../helpers/bytes.ts'
import { Rng } from '../helpers/rng.ts'

const NOW = Date.UTC(2026, 2, 1, 12)

/** Open must throw a ParleyError; returns its name. Anything returned is a failure. */
function rejection(bytes: Uint8Array, recipient: Parameters<typeof open>[1], what: string): string {
  try {
    open(bytes, recipient, { now: NOW })
  } catch (err) {
    ok(err instanceof ParleyError, `${what}: not a ParleyError: ${String((err as Error)?.stack ?? err)}`)
    return err.name
  }
  throw new Error(`${what}: a tampered envelope opened`)
}

describe('envelope: tampering', () => {
  const seedOf = (label: string) => fixedBytes(label, 32)
  const alice = createIdentity({ seed: seedOf('bitflip-alice') })
  const bob = createIdentity({ seed: seedOf('bitflip-bob') })
  const sealToBob = (body: Uint8Array, extra: Partial<Parameters<typeof seal>[0]> = {}) =>
    seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: bob.currentEncryptionKey(),
      body,
      createdAt: NOW,
      ...extra
    }).bytes
  // envelopes picked once; every bit of each is flipped in turn
  const envelopes = [
    sealToBob(fixedBytes('bitflip-body-200', 200)),
    sealToBob(new Uint8Array(0)),
    sealToBob(fixedBytes('bitflip-receipt', 24), { contentType: ContentType.receipt, session: fixedBytes('s', 40) }),
    sealToBob(fixedBytes('bitflip-body-100', 100), { contentType: ContentType.business })
  ]

  const totalBits = envelopes.reduce((n, e) => n + e.byteLength * 8, 0)
  it(`EVERY single-bit flip anywhere in ${envelopes.length} envelopes is refused with a typed error (${totalBits} flips, node engine)`, () => {
    const names = new Map<string, number>()
    let flips = 0
    for (const [e, env] of envelopes.entries()) {
      strictEqual(open(env, bob, { now: NOW }).sender, alice.peerId, 'the untouched envelope opens')
      for (let bit = 0; bit < env.byteLength * 8; bit++) {
        const name = rejection(flipBit(env, bit), bob, `envelope ${e} bit ${bit}`)
        names.set(name, (names.get(name) ?? 0) + 1)
        flips++
      }
    }
    ok(flips >= 10_000, `only ${flips} flips`)
    // flips land in the version byte, the routing fields, the CBOR structure and the ciphertext
    for (const n of [
      'UnsupportedVersionError',
      'MalformedEnvelopeError',
      'WrongRecipientError',
      'UnknownKeyIdError',
      'DecryptionFailedError'
    ]) {
      ok((names.get(n) ?? 0) > 0, `no flip gave ${n}: ${JSON.stringify([...names])}`)
    }
  })

  it('random single-bit flips are refused by the noble engine too (200 flips)', () => {
    const bobNoble = createIdentity({
      seed: seedOf('bitflip-bob'),
      engine: nobleEngine(),
      encryptionKeys: bob.encryptionKeys.map((k) => ({ privateKey: k.privateKey, createdAt: k.createdAt }))
    })
    const rng = Rng.fromEnv()
    for (let i = 0; i < 200; i++) {
      const env = envelopes[i % envelopes.length]!
      const bit = rng.int(env.byteLength * 8)
      rejection(flipBit(env, bit), bobNoble, `seed ${rng.seed} flip ${i} bit ${bit}`)
    }
  })

  it('swapping fields between two envelopes to the same recipient is refused (every mix of ephemeral, nonce, ciphertext)', () => {
    const a = EnvelopeWire.decode(sealToBob(fixedBytes('swap-a', 100)).subarray(1))
    const b = EnvelopeWire.decode(sealToBob(fixedBytes('swap-b', 100)).subarray(1))
    for (let mask = 1; mask < 7; mask++) {
      const mixed = {
        ...a,
        ephemeral: mask & 1 ? b.ephemeral : a.ephemeral,
        nonce: mask & 2 ? b.nonce : a.nonce,
        ciphertext: mask & 4 ? b.ciphertext : a.ciphertext
      }
      strictEqual(
        rejection(concatBytes(Uint8Array.of(1), EnvelopeWire.encode(mixed)), bob, `mask ${mask}`),
        'DecryptionFailedError'
      )
    }
  })

  it('byte-level damage (random byte values, truncation, extension) is always a typed error (3000 cases)', () => {
    const rng = Rng.fromEnv()
    for (let i = 0; i < 3000; i++) {
      const env = envelopes[i % envelopes.length]!
      let bad: Uint8Array
      const k = i % 3
      if (k === 0) {
        bad = Uint8Array.from(env)
        const at = rng.int(env.byteLength)
        bad[at] = (bad[at]! + 1 + rng.int(255)) & 0xff
      } else if (k === 1) {
        bad = env.subarray(0, rng.int(env.byteLength))
      } else {
        bad = concatBytes(env, rng.bytes(rng.range(1, 64)))
      }
      rejection(bad, bob, `seed ${rng.seed} case ${i}`)
    }
  })
})
