import { notStrictEqual, ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { nobleEngine } from '../../src/crypto/index.ts'
import { createIdentity, displayableFingerprint, formatSafetyNumber, safetyNumber } from '../../src/identity/index.ts'
import { fcParams } from '../helpers/assert.ts'
import { flipBit } from '../helpers/bytes.ts'

describe('identity: safety numbers', () => {
  // each safety number costs two fingerprints of 5200 SHA-512 rounds (about 60 ms here), so few runs
  it('60 digits, the same for (A, B) and (B, A), different when either key changes (3 pairs)', () => {
    const seed = fc.uint8Array({ minLength: 32, maxLength: 32 })
    fc.assert(
      fc.property(seed, seed, fc.nat(255), (sa, sb, bit) => {
        fc.pre(sa.some((x, i) => x !== sb[i]))
        const a = createIdentity({ seed: sa }).publicKey
        const b = createIdentity({ seed: sb }).publicKey
        const n = safetyNumber(a, b)
        ok(/^[0-9]{60}$/.test(n), n)
        strictEqual(safetyNumber(b, a), n)
        // another key on either side (a flipped bit of a seed is another key) gives another number
        notStrictEqual(safetyNumber(createIdentity({ seed: flipBit(sa, bit) }).publicKey, b), n)
        notStrictEqual(safetyNumber(a, createIdentity({ seed: flipBit(sb, bit) }).publicKey), n)
        // the number is both fingerprints, the smaller first
        const [fa, fb] = [displayableFingerprint(a), displayableFingerprint(b)]
        strictEqual(n, fa < fb ? fa + fb : fb + fa)
      }),
      fcParams(3)
    )
  })

  it('is the same in the noble engine', () => {
    const a = createIdentity().publicKey
    const b = createIdentity().publicKey
    strictEqual(safetyNumber(a, b, nobleEngine()), safetyNumber(a, b))
  })

  it('a party with itself still gets 60 digits; formatting groups twelve blocks of five', () => {
    const a = createIdentity().publicKey
    strictEqual(safetyNumber(a, a).length, 60)
    const f = formatSafetyNumber('0123456789'.repeat(6))
    strictEqual(f, '01234 56789 01234 56789 01234 56789 01234 56789 01234 56789 01234 56789')
    strictEqual(f.split(' ').length, 12)
  })
})
