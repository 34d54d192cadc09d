import { ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { AEAD_NODE_THRESHOLD, type CryptoEngine, getEngine, nobleEngine, nodeEngine } from '../../src/crypto/index.ts'
import { fcParams, throwsParley } from '../helpers/assert.ts'
import { flipBit, toHex } from '../helpers/bytes.ts'

const node = nodeEngine()
const noble = nobleEngine()
const engines: CryptoEngine[] = [node, noble]
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** The same call on both engines, compared byte for byte (or value for value). */
function same<T>(
  f: (e: CryptoEngine) => T,
  show: (v: T) => string = (v) => (v instanceof Uint8Array ? toHex(v) : String(v))
) {
  const a = f(node)
  const b = f(noble)
  strictEqual(show(a), show(b))
  return a
}

describe('crypto: the node and noble engines are interchangeable', () => {
  it('getEngine() is the node engine, and the same object each time', () => {
    strictEqual(getEngine().name, 'node')
    strictEqual(getEngine(), getEngine())
  })

  it('Ed25519: same public keys, byte-identical signatures, same verify answers (80 keys and messages)', () => {
    fc.assert(
      fc.property(bytes32, fc.uint8Array({ maxLength: 3000 }), fc.nat(), (seed, message, where) => {
        const pk = same((e) => e.signer(seed).publicKey)
        const sig = same((e) => e.signer(seed).sign(message))
        strictEqual(
          same((e) => e.verify(sig, message, pk)),
          true
        )
        // one flipped bit in the signature, the message or the key: both say no, together
        const badSig = flipBit(sig, where % 512)
        strictEqual(
          same((e) => e.verify(badSig, message, pk)),
          false
        )
        if (message.byteLength > 0) {
          const badMsg = flipBit(message, where % (message.byteLength * 8))
          strictEqual(
            same((e) => e.verify(sig, badMsg, pk)),
            false
          )
        }
        const badPk = flipBit(pk, where % 256)
        strictEqual(
          same((e) => e.verify(sig, message, badPk)),
          false
        )
      }),
      fcParams(80)
    )
  })

  it('Ed25519: random signatures and keys get the same (false) answer from both (300 cases)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        bytes32,
        fc.uint8Array({ maxLength: 64 }),
        (sig, pk, msg) => {
          strictEqual(
            same((e) => e.verify(sig, msg, pk)),
            false
          )
        }
      ),
      fcParams(300)
    )
  })

  it('X25519: same public keys and shared secrets, both directions, cached or not (60 pairs)', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (a, b) => {
        const A = same((e) => e.x25519(a).publicKey)
        const B = same((e) => e.x25519(b).publicKey)
        const ab = same((e) => e.x25519(a).agree(B))
        const ba = same((e) => e.x25519(b).agree(A, true))
        strictEqual(toHex(ab), toHex(ba))
        strictEqual(toHex(node.x25519(a).agree(B, true)), toHex(ab))
      }),
      fcParams(60)
    )
  })

  it('X25519: generated ephemeral keys work across engines', () => {
    for (const gen of engines) {
      const eph = gen.generateX25519()
      const peer = new Uint8Array(32).fill(7)
      const peerPub = node.x25519(peer).publicKey
      const s1 = eph.agree(peerPub)
      for (const e of engines) strictEqual(toHex(e.x25519(peer).agree(eph.publicKey)), toHex(s1))
    }
    ok(node.generateX25519().publicKey.byteLength === 32 && noble.generateX25519().publicKey.byteLength === 32)
  })

  it('HKDF-SHA256: same output for any ikm, salt, info and length (500 cases, plus the 8160-byte maximum)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 600 }),
        (ikm, salt, info, length) => {
          const out = same((e) => e.hkdfSha256(ikm, salt, info, length))
          strictEqual(out.byteLength, length)
        }
      ),
      fcParams(500)
    )
    same((e) => e.hkdfSha256(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 255 * 32))
  })

  it(`ChaCha20-Poly1305: identical ciphertexts on both sides of AEAD_NODE_THRESHOLD (${AEAD_NODE_THRESHOLD} B), and the same refusals`, () => {
    const sizes = fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.constantFrom(
        0,
        1,
        15,
        16,
        17,
        63,
        64,
        AEAD_NODE_THRESHOLD - 1,
        AEAD_NODE_THRESHOLD,
        AEAD_NODE_THRESHOLD + 1,
        4096,
        65536
      )
    )
    fc.assert(
      fc.property(
        bytes32,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 100 }),
        sizes,
        fc.nat(),
        (key, nonce, aad, size, where) => {
          const plain = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff)
          const sealed = same((e) => e.aeadSeal(key, nonce, plain, aad))
          strictEqual(sealed.byteLength, size + 16)
          // each engine opens what the other sealed
          for (const e of engines) strictEqual(toHex(e.aeadOpen(key, nonce, sealed, aad)!), toHex(plain))
          const show = (v: Uint8Array | undefined) => String(v === undefined ? undefined : toHex(v))
          strictEqual(
            same((e) => e.aeadOpen(key, nonce, flipBit(sealed, where % (sealed.byteLength * 8)), aad), show),
            undefined
          )
          strictEqual(
            same((e) => e.aeadOpen(key, nonce, sealed, new Uint8Array([...aad, 0])), show),
            undefined
          )
          strictEqual(
            same((e) => e.aeadOpen(flipBit(key, where % 256), nonce, sealed, aad), show),
            undefined
          )
          strictEqual(
            same((e) => e.aeadOpen(key, nonce, sealed.subarray(0, sealed.byteLength - 1), aad), show),
            undefined
          )
        }
      ),
      fcParams(150)
    )
    for (const e of engines) {
      strictEqual(e.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15), new Uint8Array(0)), undefined)
      strictEqual(e.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)), undefined)
    }
  })

  it('SHA-256 and SHA-512 agree; randomBytes gives the length asked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (data) => {
        same((e) => e.sha256(data))
        same((e) => e.sha512(data))
      }),
      fcParams(200)
    )
    for (const e of engines) {
      strictEqual(e.randomBytes(0).byteLength, 0)
      strictEqual(e.randomBytes(33).byteLength, 33)
      const first = toHex(e.randomBytes(16))
      ok(first !== toHex(e.randomBytes(16)))
    }
  })

  it('both refuse keys of the wrong length with InvalidKeyError', () => {
    for (const e of engines) {
      for (const n of [0, 16, 31, 33, 64]) {
        throwsParley(() => e.signer(new Uint8Array(n)), 'InvalidKeyError')
        throwsParley(() => e.x25519(new Uint8Array(n)), 'InvalidKeyError')
      }
    }
  })
})
