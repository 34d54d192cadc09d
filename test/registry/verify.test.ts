/**
 * verifyAttestation against each threat of notes/verification.md: forged signatures, a real
 * attestation stapled to another key, expired, not yet valid, revoked, stale or missing status
 * lists, untrusted registries, rotated-out issuing keys, type confusion, non-canonical encodings
 * and oversized bundles. A bad bundle is always a result (`invalid`…), never an exception.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeCanonical, encodeCanonical } from '../../src/codec/index.ts'
import {
  ATTESTATION_SKEW_MS,
  MAX_ATTESTATION_BUNDLE_BYTES,
  SIG_TYPE_ATTESTATION,
  SIG_TYPE_STATUS
} from '../../src/constants.ts'
import { signTyped } from '../../src/crypto/index.ts'
import { DecodeError, IssuanceRefusedError, OversizedError } from '../../src/errors.ts'
import {
  type Attestation,
  AttestationBundle,
  AttestationSchema,
  createTrust,
  decodeAttestationBundle,
  nameSkeleton,
  type RegistryKeyPair,
  type Trust,
  type VerificationResult,
  verdictExpiry,
  verifyAttestation
} from '../../src/registry/index.ts'
import { fromValue, type Raw, writeRaw } from '../helpers/cbor-raw.ts'
import { business, DAY, flipBit, HOUR, key, NOW, TestRegistry, trustView } from './fixtures.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const STATUSES = ['verified', 'unverified', 'invalid', 'expired', 'revoked', 'stale', 'untrusted-registry']

/** A registry, a business, and a node trusting the registry with a fresh status list (seq 1, issued at NOW). */
function setup(): { reg: TestRegistry; biz: ReturnType<typeof business>; trust: Trust } {
  const reg = new TestRegistry()
  const biz = business()
  const trust = createTrust()
  trust.addRoot(reg.chain(), NOW)
  trust.importStatus(reg.status().record)
  return { reg, biz, trust }
}

/** Sign an attestation (any fields at all) with `signer`, claiming key id `kid`, over PAE(`type`). */
function forge(
  a: Attestation,
  signer: RegistryKeyPair,
  init: { kid?: Uint8Array; type?: string; payload?: Uint8Array } = {}
): Uint8Array {
  const payload = init.payload ?? AttestationSchema.encode(a)
  return AttestationBundle.encode({
    payload,
    signature: {
      kid: init.kid ?? signer.kid,
      signature: signTyped(signer.signer, init.type ?? SIG_TYPE_ATTESTATION, payload)
    }
  })
}

function check(result: VerificationResult, status: string, reason?: RegExp): void {
  assert.equal(result.status, status, `${result.status}: ${result.reason ?? ''}`)
  if (reason !== undefined) assert.match(result.reason ?? '', reason)
}

describe('registry: verifying an attestation', () => {
  it('a good attestation for the peer that presents it is verified, with its name, registry and expiry', () => {
    const { reg, biz, trust } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { domain: 'Acme.example', country: 'GB' })
    const r = verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + HOUR })
    assert.deepEqual(r, {
      status: 'verified',
      name: 'Acme Bank',
      registryId: reg.registryId,
      expiresAt: new Date(NOW + 14 * DAY).toISOString()
    })
    const a = decodeAttestationBundle(bundle).attestation
    assert.equal(a.domain, 'acme.example')
    assert.equal(a.skeleton, nameSkeleton('Acme Bank'))
  })

  it('no bundle, or an empty one, is unverified (not invalid)', () => {
    const { biz, trust } = setup()
    assert.deepEqual(verifyAttestation({ bundle: undefined, peerId: biz.peerId, trust, now: NOW }), {
      status: 'unverified'
    })
    assert.deepEqual(verifyAttestation({ bundle: new Uint8Array(0), peerId: biz.peerId, trust, now: NOW }), {
      status: 'unverified'
    })
  })

  describe('forged signatures', () => {
    it('signed by a key outside the issuer role (a root key, the status key, an outsider) is invalid', () => {
      const { reg, biz, trust } = setup()
      const good = decodeAttestationBundle(reg.issue(biz.peerId, 'Acme Bank').bundle).attestation
      const signers: Record<string, RegistryKeyPair> = {
        'a root key': reg.keys.root[0]!,
        'the status key': reg.statusKey,
        'an outsider': key('outsider')
      }
      for (const [what, signer] of Object.entries(signers)) {
        // the payload names the signer as issuer, consistently
        const own = forge({ ...good, issuerKid: signer.kid }, signer)
        check(verifyAttestation({ bundle: own, peerId: biz.peerId, trust, now: NOW }), 'invalid', /issuing key/)
        // the payload and the signature claim the real issuing key, but another key signed
        const claimed = forge(good, signer, { kid: reg.issuer.kid })
        check(verifyAttestation({ bundle: claimed, peerId: biz.peerId, trust, now: NOW }), 'invalid', /issuing key/)
        // the signature names its real signer while the payload claims the issuing key
        const mismatch = forge(good, signer)
        check(verifyAttestation({ bundle: mismatch, peerId: biz.peerId, trust, now: NOW }), 'invalid', /mismatch/)
        assert.ok(what)
      }
    })

    it('the issuing key signing under another type (a status signature) is invalid: no type confusion', () => {
      const { reg, biz, trust } = setup()
      const good = decodeAttestationBundle(reg.issue(biz.peerId, 'Acme Bank').bundle).attestation
      check(
        verifyAttestation({
          bundle: forge(good, reg.issuer, { type: SIG_TYPE_STATUS }),
          peerId: biz.peerId,
          trust,
          now: NOW
        }),
        'invalid'
      )
      // a signed status list handed over as an attestation bundle does not even decode as one
      check(verifyAttestation({ bundle: reg.status().signed, peerId: biz.peerId, trust, now: NOW }), 'invalid')
    })

    it('every single-bit flip of the signature is invalid', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
      const start = bundle.byteLength - 64
      assert.equal(hex(bundle.slice(start)), hex(AttestationBundle.decode(bundle).signature.signature))
      for (let bit = start * 8; bit < bundle.byteLength * 8; bit++) {
        const r = verifyAttestation({ bundle: flipBit(bundle, bit), peerId: biz.peerId, trust, now: NOW })
        assert.equal(r.status, 'invalid', `bit ${bit}`)
      }
    })

    it('no single-bit flip anywhere in the bundle is verified, and none throws', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { domain: 'acme.example', country: 'GB' })
      const seen = new Map<string, number>()
      for (let bit = 0; bit < bundle.byteLength * 8; bit++) {
        const r = verifyAttestation({ bundle: flipBit(bundle, bit), peerId: biz.peerId, trust, now: NOW })
        assert.notEqual(r.status, 'verified', `bit ${bit}`)
        assert.ok(STATUSES.includes(r.status))
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1)
      }
      // flips in the registry id make it an unknown registry; everything else is invalid
      assert.deepEqual([...seen.keys()].sort(), ['invalid', 'untrusted-registry'])
    })
  })

  it('times past what a Date can hold are invalid, not an exception (signed or not)', () => {
    const { reg, biz, trust } = setup()
    const good = decodeAttestationBundle(reg.issue(biz.peerId, 'Acme Bank').bundle).attestation
    const far = [8.64e15 + 1, Number.MAX_SAFE_INTEGER]
    for (const t of far) {
      // the schema refuses to encode such times, so build the CBOR map by hand (keys: 6 issuedAt, 7 notBefore, 8 expiresAt)
      const base = AttestationSchema.toCbor(good, 'attestation') as Map<number, unknown>
      for (const changes of [
        [[8, t]],
        [
          [7, t],
          [8, t]
        ],
        [[6, t]]
      ] as Array<Array<[number, number]>>) {
        const payload = encodeCanonical(new Map([...base, ...changes]))
        for (const signer of [reg.issuer, key('outsider')]) {
          const bundle = forge(good, signer, { payload })
          let r: VerificationResult | undefined
          assert.doesNotThrow(() => {
            r = verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW })
          })
          assert.equal(r!.status, 'invalid')
          assert.doesNotThrow(() => verdictExpiry(bundle, trust, NOW))
        }
      }
    }
  })

  it('a real attestation stapled to another key is invalid (subject ≠ the peer)', () => {
    const { reg, biz, trust } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
    const impostor = business()
    check(verifyAttestation({ bundle, peerId: impostor.peerId, trust, now: NOW }), 'invalid', /belongs to another peer/)
    check(verifyAttestation({ bundle, peerId: 'not-a-peer-id', trust, now: NOW }), 'invalid', /PeerId/)
    // the stapled result still says who it claimed to be, for the UI
    assert.equal(verifyAttestation({ bundle, peerId: impostor.peerId, trust, now: NOW }).name, 'Acme Bank')
  })

  it('expired at expiresAt, not a millisecond of grace; verified just before', () => {
    const { reg, biz, trust } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { days: 1 })
    // a status list that is fresh at the end of the attestation's life
    trust.importStatus(reg.status({ now: NOW + DAY - HOUR }).record)
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + DAY - 1 }), 'verified')
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + DAY }), 'expired')
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + 30 * DAY }), 'expired')
  })

  it('not yet valid beyond 5 minutes of skew is invalid; within the skew it is verified', () => {
    const { reg, biz, trust } = setup()
    const at = (ms: number) => reg.issue(biz.peerId, 'Acme Bank', { now: NOW + ms }).bundle
    check(
      verifyAttestation({ bundle: at(ATTESTATION_SKEW_MS + 1), peerId: biz.peerId, trust, now: NOW }),
      'invalid',
      /not valid yet/
    )
    check(
      verifyAttestation({ bundle: at(60 * 60_000), peerId: biz.peerId, trust, now: NOW }),
      'invalid',
      /not valid yet/
    )
    check(verifyAttestation({ bundle: at(ATTESTATION_SKEW_MS), peerId: biz.peerId, trust, now: NOW }), 'verified')
    check(verifyAttestation({ bundle: at(4 * 60_000), peerId: biz.peerId, trust, now: NOW }), 'verified')
  })

  it('an empty validity window (expiry not after not-before) is invalid', () => {
    const { reg, biz, trust } = setup()
    const good = decodeAttestationBundle(reg.issue(biz.peerId, 'Acme Bank').bundle).attestation
    const bundle = forge({ ...good, expiresAt: good.notBefore }, reg.issuer)
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW }), 'invalid', /validity window/)
  })

  it('revoked when the freshest status list names the serial, also when that list is out of date', () => {
    const { reg, biz, trust } = setup()
    const revokedOne = reg.issue(biz.peerId, 'Acme Bank')
    const other = business()
    const kept = reg.issue(other.peerId, 'Other Shop')
    trust.importStatus(reg.status({ revoked: [revokedOne.serial] }).record)
    check(
      verifyAttestation({ bundle: revokedOne.bundle, peerId: biz.peerId, trust, now: NOW }),
      'revoked',
      /status list 2/
    )
    check(verifyAttestation({ bundle: kept.bundle, peerId: other.peerId, trust, now: NOW }), 'verified')
    // the list went out of date: a revocation is still a revocation
    check(verifyAttestation({ bundle: revokedOne.bundle, peerId: biz.peerId, trust, now: NOW + 3 * DAY }), 'revoked')
  })

  it('stale: the status list next-update passed, no status list yet, or the root expired', () => {
    const { reg, biz, trust } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + DAY - 1 }), 'verified')
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW + DAY }), 'stale', /out of date/)

    const bare = createTrust()
    bare.addRoot(reg.chain(), NOW)
    const none = verifyAttestation({ bundle, peerId: biz.peerId, trust: bare, now: NOW })
    check(none, 'stale', /no status list/)
    assert.equal(none.name, 'Acme Bank')

    // the root itself expires (a year): no badge even with a fresh status list
    const late = NOW + 366 * DAY
    const lateBundle = reg.issue(biz.peerId, 'Acme Bank', { now: late - DAY }).bundle
    const t = trustView({
      [reg.registryId]: {
        root: reg.latest,
        status: { ...reg.status().list, issuedAt: late - HOUR, nextUpdate: late + HOUR }
      }
    })
    check(verifyAttestation({ bundle: lateBundle, peerId: biz.peerId, trust: t, now: late }), 'stale', /root/)
  })

  it('stale when the status list predates the attestation in the log (logSize ≤ logIndex)', () => {
    const { reg, biz } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { logIndex: 5 })
    const withSize = (logSize?: number) => {
      const list = reg.status(logSize !== undefined ? { logSize } : {}).list
      return trustView({ [reg.registryId]: { root: reg.latest, status: list } })
    }
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust: withSize(5), now: NOW }), 'stale', /predates/)
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust: withSize(6), now: NOW }), 'verified')
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust: withSize(), now: NOW }), 'verified')
  })

  it('a registry this node does not trust gives untrusted-registry (with the claimed name), never verified', () => {
    const { reg, biz } = setup()
    const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
    const elsewhere = new TestRegistry()
    const trust = createTrust()
    trust.addRoot(elsewhere.chain(), NOW)
    trust.importStatus(elsewhere.status().record)
    const r = verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW })
    check(r, 'untrusted-registry')
    assert.equal(r.name, 'Acme Bank')
    assert.equal(r.registryId, reg.registryId)
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust: createTrust(), now: NOW }), 'untrusted-registry')
    // trusted once, then removed
    const t2 = createTrust()
    t2.addRoot(reg.chain(), NOW)
    t2.remove(reg.registryId)
    check(verifyAttestation({ bundle, peerId: biz.peerId, trust: t2, now: NOW }), 'untrusted-registry')
  })

  it('an attestation from an issuing key rotated out is invalid until reissued', () => {
    const { reg, biz, trust } = setup()
    const before = reg.issue(biz.peerId, 'Acme Bank').bundle
    reg.rotate({ issuer: true })
    trust.addRoot(reg.chain(), NOW)
    check(verifyAttestation({ bundle: before, peerId: biz.peerId, trust, now: NOW }), 'invalid', /issuing key/)
    const after = reg.issue(biz.peerId, 'Acme Bank').bundle
    check(verifyAttestation({ bundle: after, peerId: biz.peerId, trust, now: NOW }), 'verified')
    // rotating only the root keys keeps the issuing key, and its attestations
    reg.rotate()
    trust.addRoot(reg.chain(), NOW)
    check(verifyAttestation({ bundle: after, peerId: biz.peerId, trust, now: NOW }), 'verified')
  })

  it('a signed name that breaks the name policy, or whose skeleton does not match, is invalid', () => {
    const { reg, biz, trust } = setup()
    const good = decodeAttestationBundle(reg.issue(biz.peerId, 'Acme Bank').bundle).attestation
    for (const name of ['Acme\u200bBank', 'Acme Bаnk', 'Acme Bank ✓', '\u202eknaB emcA', 'Acme  Bank']) {
      const bundle = forge({ ...good, name, skeleton: nameSkeleton(name) }, reg.issuer)
      check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW }), 'invalid', /name refused/)
    }
    const wrongSkeleton = forge({ ...good, skeleton: nameSkeleton('Other Bank') }, reg.issuer)
    check(verifyAttestation({ bundle: wrongSkeleton, peerId: biz.peerId, trust, now: NOW }), 'invalid', /skeleton/)
    // and the issuing side refuses to sign such names at all
    assert.throws(
      () => reg.issue(biz.peerId, 'Acme Bаnk'),
      (err: unknown) => err instanceof IssuanceRefusedError && err.detail === 'name'
    )
  })

  describe('encodings', () => {
    /** The payload as a Raw CBOR tree, and a helper to sign any payload bytes as the real issuer. */
    function rawPayload(bundle: Uint8Array): Extract<Raw, { t: 'map' }> {
      const { payload } = decodeAttestationBundle(bundle)
      return fromValue(decodeCanonical(payload, 4096)) as Extract<Raw, { t: 'map' }>
    }
    const entry = (raw: Extract<Raw, { t: 'map' }>, k: number): [Raw, Raw] =>
      raw.entries.find(([kk]) => kk.t === 'uint' && kk.v === BigInt(k))!

    it('a non-canonical payload is invalid even when the issuing key signed those exact bytes', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
      const sign = (payload: Uint8Array) =>
        verifyAttestation({
          bundle: forge(decodeAttestationBundle(bundle).attestation, reg.issuer, { payload }),
          peerId: biz.peerId,
          trust,
          now: NOW
        })
      // control: the independent canonical writer gives the same bytes, and they verify
      const canonical = writeRaw(rawPayload(bundle))
      assert.equal(hex(canonical), hex(decodeAttestationBundle(bundle).payload))
      check(sign(canonical), 'verified')

      const variants: Record<string, (r: Extract<Raw, { t: 'map' }>) => Raw | Uint8Array> = {
        'an 8-byte head for a small integer': (r) => {
          const e = entry(r, 2)
          e[1] = { ...(e[1] as Extract<Raw, { t: 'uint' }>), width: 8 }
          return r
        },
        'a 2-byte head for the version key': (r) => {
          entry(r, 0)[0] = { t: 'uint', v: 0n, width: 1 }
          return r
        },
        'keys out of order': (r) => ({ ...r, entries: [...r.entries].reverse() }),
        'an indefinite-length map': (r) => ({ ...r, indef: true }),
        'the name as an indefinite text of chunks': (r) => {
          const e = entry(r, 9)
          e[1] = { t: 'text', v: 'Acme Bank', chunks: ['Acme ', 'Bank'] }
          return r
        },
        'a float where an integer goes': (r) => {
          entry(r, 2)[1] = { t: 'float', v: 1, size: 8 }
          return r
        },
        'a tag around the subject': (r) => {
          const e = entry(r, 4)
          e[1] = { t: 'tag', tag: 64n, item: e[1] }
          return r
        },
        'an unknown extra key': (r) => ({
          ...r,
          entries: [
            ...r.entries,
            [
              { t: 'uint', v: 99n },
              { t: 'uint', v: 1n }
            ]
          ]
        }),
        'a trailing byte': (r) => Uint8Array.from([...writeRaw(r), 0]),
        'the version 2': (r) => {
          entry(r, 0)[1] = { t: 'uint', v: 2n }
          return r
        }
      }
      for (const [what, mutate] of Object.entries(variants)) {
        const out = mutate(rawPayload(bundle))
        const bytes = out instanceof Uint8Array ? out : writeRaw(out)
        assert.notEqual(hex(bytes), hex(canonical), what)
        const r = sign(bytes)
        check(r, 'invalid', /malformed/)
        assert.ok(r.reason !== undefined, what)
      }
    })

    it('a non-canonical bundle around a good payload and signature is invalid', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
      const outer = () => fromValue(decodeCanonical(bundle, 8192)) as Extract<Raw, { t: 'map' }>
      const variants: Record<string, Raw | Uint8Array> = {
        'indefinite map': { ...outer(), indef: true },
        'wide payload length': (() => {
          const r = outer()
          const e = entry(r, 1)
          e[1] = { ...(e[1] as Extract<Raw, { t: 'bytes' }>), width: 4 }
          return r
        })(),
        'payload in chunks': (() => {
          const r = outer()
          const e = entry(r, 1)
          const p = (e[1] as Extract<Raw, { t: 'bytes' }>).v
          e[1] = { t: 'bytes', v: p, chunks: [p.slice(0, 10), p.slice(10)] }
          return r
        })(),
        'trailing bytes': Uint8Array.from([...bundle, 0xf6]),
        truncated: bundle.slice(0, -1),
        'duplicate key': (() => {
          const r = outer()
          return { ...r, entries: [...r.entries, entry(r, 2)] }
        })()
      }
      for (const [what, v] of Object.entries(variants)) {
        const bytes = v instanceof Uint8Array ? v : writeRaw(v)
        let r: VerificationResult | undefined
        assert.doesNotThrow(() => {
          r = verifyAttestation({ bundle: bytes, peerId: biz.peerId, trust, now: NOW })
        }, what)
        check(r!, 'invalid', /malformed/)
      }
    })

    it('oversized bundles and fields are refused (OversizedError / DecodeError) and come out invalid', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
      const decoded = AttestationBundle.decode(bundle)
      const sigRaw: Raw = {
        t: 'map',
        entries: [
          [
            { t: 'uint', v: 0n },
            { t: 'uint', v: 1n }
          ],
          [
            { t: 'uint', v: 1n },
            { t: 'bytes', v: decoded.signature.kid }
          ],
          [
            { t: 'uint', v: 2n },
            { t: 'bytes', v: decoded.signature.signature }
          ]
        ]
      }
      const withPayload = (payload: Uint8Array) =>
        writeRaw({
          t: 'map',
          entries: [
            [
              { t: 'uint', v: 0n },
              { t: 'uint', v: 1n }
            ],
            [
              { t: 'uint', v: 1n },
              { t: 'bytes', v: payload }
            ],
            [{ t: 'uint', v: 2n }, sigRaw]
          ]
        })
      // control: the same construction around the real payload is the real bundle
      assert.equal(hex(withPayload(decoded.payload)), hex(bundle))

      // a bundle past the cap: refused before decoding
      const big = withPayload(new Uint8Array(MAX_ATTESTATION_BUNDLE_BYTES))
      assert.ok(big.byteLength > MAX_ATTESTATION_BUNDLE_BYTES)
      assert.throws(() => decodeAttestationBundle(big), OversizedError)
      check(verifyAttestation({ bundle: big, peerId: biz.peerId, trust, now: NOW }), 'invalid', /malformed/)
      assert.equal(
        verifyAttestation({ bundle: new Uint8Array(1 << 20), peerId: biz.peerId, trust, now: NOW }).status,
        'invalid'
      )

      // a payload larger than its 2048-byte field, inside a bundle under the cap
      const fat = withPayload(new Uint8Array(2049))
      assert.ok(fat.byteLength <= MAX_ATTESTATION_BUNDLE_BYTES)
      assert.throws(() => decodeAttestationBundle(fat), DecodeError)
      check(verifyAttestation({ bundle: fat, peerId: biz.peerId, trust, now: NOW }), 'invalid', /malformed/)

      // a name over 64 characters, properly signed
      const a = decodeAttestationBundle(bundle).attestation
      const longName = forge(a, reg.issuer, {
        payload: writeRaw(
          (() => {
            const r = fromValue(decodeCanonical(decoded.payload, 4096)) as Extract<Raw, { t: 'map' }>
            entry(r, 9)[1] = { t: 'text', v: 'A'.repeat(65) }
            return r
          })()
        )
      })
      check(verifyAttestation({ bundle: longName, peerId: biz.peerId, trust, now: NOW }), 'invalid', /malformed/)
    })

    it('random bytes and random mutations of a good bundle never throw and are never verified', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank')
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
          const r = verifyAttestation({ bundle: bytes, peerId: biz.peerId, trust, now: NOW })
          return STATUSES.includes(r.status) && r.status !== 'verified'
        }),
        { numRuns: 300 }
      )
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(bundle.byteLength - 1), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4
          }),
          (edits) => {
            const mutated = Uint8Array.from(bundle)
            for (const [at, x] of edits) mutated[at] = mutated[at]! ^ x
            if (Buffer.compare(mutated, bundle) === 0) return true
            return verifyAttestation({ bundle: mutated, peerId: biz.peerId, trust, now: NOW }).status !== 'verified'
          }
        ),
        { numRuns: 300 }
      )
    })
  })

  describe('verdict expiry (how long a verdict may be cached)', () => {
    it('the earliest of the attestation expiry, the status next-update and the root expiry', () => {
      const { reg, biz, trust } = setup()
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { days: 1 })
      // status next update NOW + 1 day, attestation expiry NOW + 1 day: equal; take a shorter list
      trust.importStatus(reg.status({ validMs: 2 * HOUR }).record)
      assert.equal(verdictExpiry(bundle, trust, NOW), NOW + 2 * HOUR)
      trust.importStatus(reg.status({ validMs: 47 * HOUR }).record)
      assert.equal(verdictExpiry(bundle, trust, NOW), NOW + DAY, 'the attestation expires first')
      const root = { ...reg.latest, expiresAt: NOW + HOUR }
      assert.equal(
        verdictExpiry(bundle, trustView({ [reg.registryId]: { root, status: trust.status(reg.registryId)! } }), NOW),
        NOW + HOUR
      )
    })

    it('a not-yet-valid attestation is re-checked when it enters the skew window', () => {
      const { reg, biz, trust } = setup()
      const nbf = NOW + HOUR
      const { bundle } = reg.issue(biz.peerId, 'Acme Bank', { now: nbf })
      check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: NOW }), 'invalid', /not valid yet/)
      const until = verdictExpiry(bundle, trust, NOW)
      assert.equal(until, nbf - ATTESTATION_SKEW_MS)
      check(verifyAttestation({ bundle, peerId: biz.peerId, trust, now: until }), 'verified')
    })

    it('no bundle or an undecodable one never expires (nothing can change it but a new bundle)', () => {
      const { trust } = setup()
      assert.equal(verdictExpiry(undefined, trust, NOW), Number.POSITIVE_INFINITY)
      assert.equal(verdictExpiry(new Uint8Array([1, 2, 3]), trust, NOW), Number.POSITIVE_INFINITY)
    })
  })
})
