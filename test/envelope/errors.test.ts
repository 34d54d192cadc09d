import { ok, strictEqual } from 'node:assert/strict'
import {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  MAX_BODY_BYTES,
  MAX_ENVELOPE_BYTES,
  SIG_TYPE_ENCRYPTION_KEY
} from '../../src/constants.ts'
import { nobleEngine, nodeEngine } from '../../src/crypto/index.ts'
import {
  EnvelopeInner,
  EnvelopeWire,
  MAX_SESSION_BYTES,
  open,
  pad,
  readEnvelopeRouting,
  seal,
  unpad
} from '../../src/envelope/index.ts'
import { createIdentity, peerIdBytesFromPublicKey } from '../../src/identity/index.ts'
import { throwsParley } from '../helpers/assert.ts'
import { concatBytes, fromHex, utf8 } from '../helpers/bytes.ts'
import { buildInner, sealManual } from '../helpers/envelope.ts'

const NOW = Date.UTC(2026, 2, 1, 12)

describe('envelope: every typed error of open()', () => {
  for (const engine of [nodeEngine(), nobleEngine()]) {
    describe(`${engine.name} engine`, () => {
      const alice = createIdentity({ engine })
      const bob = createIdentity({ engine })
      const carol = createIdentity({ engine })
      const mallory = createIdentity({ engine })
      const bobKey = bob.currentEncryptionKey()
      const toBob = (init: Partial<Parameters<typeof seal>[0]> = {}) =>
        seal({ sender: alice, recipient: bob.peerId, encryptionKey: bobKey, body: utf8('hi'), createdAt: NOW, ...init })
          .bytes
      const manual = (
        inner: Partial<Parameters<typeof buildInner>[1]>,
        extra: Partial<Parameters<typeof sealManual>[0]> = {}
      ) =>
        sealManual({
          recipient: bob,
          encryptionKey: bobKey,
          engine,
          inner: { signer: alice.signer, createdAt: NOW, ...inner },
          ...extra
        })

      it('a hand-built envelope with nothing wrong opens (so each case below fails for its one change)', () => {
        const opened = open(manual({ body: utf8('manual') }), bob, { now: NOW })
        strictEqual(opened.sender, alice.peerId)
        strictEqual(Buffer.from(opened.body).toString(), 'manual')
      })

      it('WrongRecipientError: sealed to Bob, opened by Carol', () => {
        throwsParley(() => open(toBob(), carol, { now: NOW }), 'WrongRecipientError')
      })

      it('UnknownKeyIdError: a key id Bob never had', () => {
        const env = toBob({ encryptionKey: { id: new Uint8Array(8).fill(7), publicKey: bobKey.publicKey } })
        throwsParley(() => open(env, bob, { now: NOW }), 'UnknownKeyIdError')
      })

      it("DecryptionFailedError: Bob's key id over another key, a tampered ciphertext, a low-order ephemeral key", () => {
        const wrongKey = toBob({ encryptionKey: { id: bobKey.id, publicKey: carol.currentEncryptionKey().publicKey } })
        throwsParley(() => open(wrongKey, bob, { now: NOW }), 'DecryptionFailedError')
        const env = toBob()
        const tampered = Uint8Array.from(env)
        tampered[tampered.byteLength - 1]! ^= 1
        throwsParley(() => open(tampered, bob, { now: NOW }), 'DecryptionFailedError')
        for (const low of ['00'.repeat(32), `01${'00'.repeat(31)}`]) {
          const e = manual({}, { ephemeralOverride: fromHex(low) })
          throwsParley(() => open(e, bob, { now: NOW }), 'DecryptionFailedError', /ephemeral/)
        }
      })

      it('BadSignatureError: signed by someone else, over another header, or as another type', () => {
        // Mallory claims to be Alice
        const forged = manual({ sender: peerIdBytesFromPublicKey(alice.publicKey), signer: mallory.signer })
        throwsParley(() => open(forged, bob, { now: NOW }), 'BadSignatureError')
        // Alice's signature, but over a header addressed to Carol
        const carolHeader = new Uint8Array(60).fill(3)
        throwsParley(() => open(manual({ signedHeader: carolHeader }), bob, { now: NOW }), 'BadSignatureError')
        // a signature of the right bytes under another signing type
        throwsParley(() => open(manual({ sigType: SIG_TYPE_ENCRYPTION_KEY }), bob, { now: NOW }), 'BadSignatureError')
      })

      it('SenderKeyMismatchError: an inner sender that is not an Ed25519 PeerId', () => {
        // the 38-byte shape of a PeerId, but key type 2 (secp256k1) in the protobuf
        const notEd25519 = concatBytes(Uint8Array.from([0x00, 0x24, 0x08, 0x02, 0x12, 0x20]), alice.publicKey)
        throwsParley(() => open(manual({ sender: notEd25519 }), bob, { now: NOW }), 'SenderKeyMismatchError')
        const sha256Multihash = concatBytes(Uint8Array.from([0x12, 0x20]), new Uint8Array(36))
        throwsParley(() => open(manual({ sender: sha256Multihash }), bob, { now: NOW }), 'SenderKeyMismatchError')
      })

      it('TimestampOutOfWindowError: 10 minutes ahead and 30 days behind are the edges, by default', () => {
        const at = (createdAt: number) => toBob({ createdAt })
        strictEqual(open(at(NOW + DEFAULT_MAX_FUTURE_MS), bob, { now: NOW }).createdAt, NOW + DEFAULT_MAX_FUTURE_MS)
        throwsParley(() => open(at(NOW + DEFAULT_MAX_FUTURE_MS + 1), bob, { now: NOW }), 'TimestampOutOfWindowError')
        strictEqual(open(at(NOW - DEFAULT_MAX_AGE_MS), bob, { now: NOW }).createdAt, NOW - DEFAULT_MAX_AGE_MS)
        throwsParley(() => open(at(NOW - DEFAULT_MAX_AGE_MS - 1), bob, { now: NOW }), 'TimestampOutOfWindowError')
        strictEqual(DEFAULT_MAX_FUTURE_MS, 10 * 60 * 1000)
        strictEqual(DEFAULT_MAX_AGE_MS, 30 * 24 * 60 * 60 * 1000)
        // custom windows
        throwsParley(() => open(at(NOW + 1), bob, { now: NOW, maxFutureMs: 0 }), 'TimestampOutOfWindowError')
        throwsParley(() => open(at(NOW - 1001), bob, { now: NOW, maxAgeMs: 1000 }), 'TimestampOutOfWindowError')
        strictEqual(open(at(0), bob, { now: 0 }).createdAt, 0)
        // a forged timestamp is a bad signature first, not merely a stale message
        const stale = manual({
          createdAt: 1,
          signer: mallory.signer,
          sender: peerIdBytesFromPublicKey(alice.publicKey)
        })
        throwsParley(() => open(stale, bob, { now: NOW }), 'BadSignatureError')
        // the default clock is Date.now()
        strictEqual(open(toBob({ createdAt: undefined }), bob).sender, alice.peerId)
      })

      it('OversizedError: an envelope over 64 KiB before parsing; a body over the cap at seal', () => {
        const env = toBob()
        const big = concatBytes(env, new Uint8Array(MAX_ENVELOPE_BYTES + 1 - env.byteLength))
        throwsParley(() => open(big, bob, { now: NOW }), 'OversizedError')
        throwsParley(() => readEnvelopeRouting(big), 'OversizedError')
        throwsParley(() => toBob({ body: new Uint8Array(MAX_BODY_BYTES + 1) }), 'OversizedError')
        // the largest body and session still fit, and open
        const max = toBob({ body: new Uint8Array(MAX_BODY_BYTES).fill(1), session: new Uint8Array(MAX_SESSION_BYTES) })
        ok(max.byteLength <= MAX_ENVELOPE_BYTES, String(max.byteLength))
        strictEqual(open(max, bob, { now: NOW }).body.byteLength, MAX_BODY_BYTES)
      })

      it('MalformedEnvelopeError: too short, not CBOR, bad padding, an undecodable inner, a non-PeerId recipient', () => {
        for (const bytes of [
          new Uint8Array(0),
          Uint8Array.of(1),
          Uint8Array.of(1, 0xff),
          Uint8Array.of(1, 0xa0),
          utf8('\u0001hello')
        ]) {
          throwsParley(() => open(bytes, bob, { now: NOW }), 'MalformedEnvelopeError')
        }
        throwsParley(() => open('nope' as unknown as Uint8Array, bob, { now: NOW }), 'MalformedEnvelopeError')
        // authenticated plaintext whose padding is wrong (not a multiple of 64, or non-zero padding)
        const inner = (h: Uint8Array) => buildInner(h, { signer: alice.signer, createdAt: NOW })
        const unpadded = manual({}, { plaintext: (h) => inner(h) })
        throwsParley(() => open(unpadded, bob, { now: NOW }), 'MalformedEnvelopeError', /padding/)
        const dirtyPad = manual(
          {},
          {
            plaintext: (h) => {
              const p = pad(inner(h))
              p[p.byteLength - 1] = 1
              return p
            }
          }
        )
        throwsParley(() => open(dirtyPad, bob, { now: NOW }), 'MalformedEnvelopeError', /padding/)
        // authenticated, well padded, but the inner is not canonical CBOR of the inner schema
        for (const bad of [
          Uint8Array.of(0xa0),
          utf8('plain text'),
          EnvelopeWire.encode({
            recipient: new Uint8Array(38),
            keyId: new Uint8Array(8),
            ephemeral: new Uint8Array(32),
            nonce: new Uint8Array(12),
            ciphertext: new Uint8Array(16)
          })
        ]) {
          throwsParley(
            () => open(manual({}, { plaintext: () => pad(bad) }), bob, { now: NOW }),
            'MalformedEnvelopeError',
            /inner/
          )
        }
        // a recipient that is 38 bytes but not an Ed25519 PeerId: routing refuses it
        const wire = EnvelopeWire.decode(toBob().subarray(1))
        const odd = EnvelopeWire.encode({
          ...wire,
          recipient: concatBytes(Uint8Array.of(0x12, 0x24), wire.recipient.subarray(2))
        })
        throwsParley(
          () => readEnvelopeRouting(concatBytes(Uint8Array.of(1), odd)),
          'MalformedEnvelopeError',
          /recipient/
        )
        throwsParley(() => open(concatBytes(Uint8Array.of(1), odd), bob, { now: NOW }), 'WrongRecipientError')
      })

      it('UnsupportedVersionError: any first byte other than 1', () => {
        const env = toBob()
        for (const v of [0, 2, 3, 0x7f, 0x80, 0xa6, 0xff]) {
          const other = Uint8Array.from(env)
          other[0] = v
          throwsParley(() => open(other, bob, { now: NOW }), 'UnsupportedVersionError')
          throwsParley(() => readEnvelopeRouting(other), 'UnsupportedVersionError')
        }
        // the version byte is bound to the ciphertext: version 2 sealed by hand does not open as 1
        throwsParley(() => open(manual({}, { version: 2 }), bob, { now: NOW }), 'UnsupportedVersionError')
      })
    })
  }

  it('unpad accepts only what pad writes', () => {
    for (let n = 0; n < 200; n += 7) {
      const inner = new Uint8Array(n).fill(5)
      const p = pad(inner)
      strictEqual(p.byteLength % 64, 0)
      ok(p.byteLength >= n + 4 && p.byteLength - (n + 4) < 64)
      strictEqual(Buffer.from(unpad(p)!).toString('hex'), Buffer.from(inner).toString('hex'))
      strictEqual(unpad(p.subarray(0, p.byteLength - 1)), undefined)
      strictEqual(unpad(concatBytes(p, new Uint8Array(64))), undefined)
    }
    strictEqual(unpad(new Uint8Array(0)), undefined)
    const lying = pad(new Uint8Array(10))
    new DataView(lying.buffer).setUint32(0, 61)
    strictEqual(unpad(lying), undefined)
    new DataView(lying.buffer).setUint32(0, 0xffffffff)
    strictEqual(unpad(lying), undefined)
    strictEqual(EnvelopeInner.maxBytes, MAX_ENVELOPE_BYTES)
  })
})
