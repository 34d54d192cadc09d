import { ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { pae } from '../../src/codec/index.ts'
import {
  AAD_TYPE_ENVELOPE_HEADER,
  AAD_TYPE_KEYSTORE,
  KDF_INFO_ENVELOPE,
  SIG_TYPE_ENCRYPTION_KEY,
  SIG_TYPE_ENVELOPE,
  SIG_TYPE_PROFILE
} from '../../src/constants.ts'
import {
  getEngine,
  nobleEngine,
  nodeEngine,
  signTyped,
  timingSafeEqualBytes,
  verifyTyped
} from '../../src/crypto/index.ts'
import { fcParams } from '../helpers/assert.ts'

const engines = [nodeEngine(), nobleEngine()]
const PARLEY_TYPES = [
  SIG_TYPE_ENCRYPTION_KEY,
  SIG_TYPE_ENVELOPE,
  SIG_TYPE_PROFILE,
  AAD_TYPE_ENVELOPE_HEADER,
  AAD_TYPE_KEYSTORE,
  KDF_INFO_ENVELOPE
]
const typeArb = fc.oneof(
  fc.constantFrom(...PARLEY_TYPES),
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 40
  })
)

describe('crypto: typed signatures (signTyped / verifyTyped)', () => {
  it('every Parley type string is distinct and a valid PAE type', () => {
    strictEqual(new Set(PARLEY_TYPES).size, PARLEY_TYPES.length)
    for (const t of PARLEY_TYPES) pae(t, new Uint8Array(0))
  })

  for (const engine of engines) {
    const runs = engine.name === 'node' ? 200 : 40
    it(`${engine.name}: a signature of one type never verifies as another, for the same payload (${runs} cases)`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          typeArb,
          typeArb,
          fc.uint8Array({ maxLength: 300 }),
          (seed, t1, t2, payload) => {
            fc.pre(t1 !== t2)
            const signer = engine.signer(seed)
            const sig = signTyped(signer, t1, payload)
            ok(verifyTyped(t1, payload, sig, signer.publicKey, engine))
            ok(!verifyTyped(t2, payload, sig, signer.publicKey, engine))
            // nor for the bare payload
            ok(!engine.verify(sig, payload, signer.publicKey))
          }
        ),
        fcParams(runs)
      )
    })
  }

  it('across every pair of Parley types, with payloads that shift the type into the payload', () => {
    const signer = getEngine().signer(new Uint8Array(32).fill(9))
    const payload = new TextEncoder().encode('18 parley/envelope/v1 3 abc')
    for (const t1 of PARLEY_TYPES) {
      const sig = signTyped(signer, t1, payload)
      for (const t2 of PARLEY_TYPES) {
        for (const engine of engines) strictEqual(verifyTyped(t2, payload, sig, signer.publicKey, engine), t1 === t2)
      }
    }
  })

  it('a signature over the raw bytes of PAE(t, p) verifies as (t, p) and nothing else', () => {
    const signer = getEngine().signer(new Uint8Array(32).fill(3))
    const p = new Uint8Array([1, 2, 3])
    const sig = signer.sign(pae(SIG_TYPE_ENVELOPE, p))
    ok(verifyTyped(SIG_TYPE_ENVELOPE, p, sig, signer.publicKey))
    ok(!verifyTyped(SIG_TYPE_PROFILE, p, sig, signer.publicKey))
    ok(!verifyTyped(SIG_TYPE_ENVELOPE, p.subarray(1), sig, signer.publicKey))
  })

  it('timingSafeEqualBytes compares whole arrays and lengths', () => {
    ok(timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])))
    ok(!timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])))
    ok(!timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])))
    ok(timingSafeEqualBytes(new Uint8Array(0), new Uint8Array(0)))
  })
})
