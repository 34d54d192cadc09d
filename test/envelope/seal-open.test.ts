import { ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { type CryptoEngine, nobleEngine, nodeEngine } from '../../src/crypto/index.ts'
import { EnvelopeInner, EnvelopeWire, open, pad, readEnvelopeRouting, seal } from '../../src/envelope/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'
import { assertBytes, fcParams, throwsParley } from '../helpers/assert.ts'
import { concatBytes, toHex, utf8 } from '../helpers/bytes.ts'
import { decryptInner, sealManual } from '../helpers/envelope.ts'

const NOW = Date.UTC(2026, 2, 1, 12)
const node = nodeEngine()
const noble = nobleEngine()

/** The same people in each engine (identities built from one seed are the same keys). */
function person(label: number): Record<'node' | 'noble', Identity> {
  const seed = new Uint8Array(32).fill(label)
  const encryptionKeys = [{ privateKey: new Uint8Array(32).fill(label + 100), createdAt: NOW }]
  return {
    node: createIdentity({ seed, encryptionKeys, engine: node }),
    noble: createIdentity({ seed, encryptionKeys, engine: noble })
  }
}
const alice = person(1)
const bob = person(2)
const carol = person(3)

describe('envelope: seal and open', () => {
  it('open(seal(m)) gives m back for any body (0..4 KiB), content type and session, across engines (300 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 4096 })),
        fc.integer({ min: 0, max: 0xffff }),
        fc.option(fc.uint8Array({ maxLength: 512 }), { nil: undefined }),
        fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
        fc.constantFrom<[CryptoEngine['name'], CryptoEngine['name']]>(
          ['node', 'node'],
          ['node', 'noble'],
          ['noble', 'node']
        ),
        (body, contentType, session, createdAt, [sealWith, openWith]) => {
          const sealed = seal({
            sender: alice[sealWith],
            recipient: bob[sealWith].peerId,
            encryptionKey: bob[sealWith].currentEncryptionKey(),
            body,
            contentType,
            createdAt,
            ...(session !== undefined ? { session } : {})
          })
          const opened = open(sealed.bytes, bob[openWith], { now: NOW })
          assertBytes(opened.body, body)
          strictEqual(opened.contentType, contentType)
          strictEqual(opened.createdAt, createdAt)
          strictEqual(opened.sender, alice.node.peerId)
          assertBytes(opened.senderKey, alice.node.publicKey)
          assertBytes(opened.messageId, sealed.messageId)
          assertBytes(opened.keyId, bob.node.currentEncryptionKey().id)
          strictEqual(opened.session === undefined ? undefined : toHex(opened.session), session && toHex(session))
          strictEqual(sealed.createdAt, createdAt)
          // the ciphertext length gives the body length away only to within the padding block
          const wire = EnvelopeWire.decode(sealed.bytes.subarray(1))
          strictEqual((wire.ciphertext.byteLength - 16) % 64, 0)
        }
      ),
      fcParams(300)
    )
  })

  it('defaults: random 16-byte message ids, text content type, fresh ephemeral key and nonce per envelope', () => {
    const init = {
      sender: alice.node,
      recipient: bob.node.peerId,
      encryptionKey: bob.node.currentEncryptionKey(),
      body: utf8('x')
    }
    const a = seal(init)
    const b = seal(init)
    strictEqual(a.messageId.byteLength, 16)
    ok(toHex(a.messageId) !== toHex(b.messageId))
    const wa = EnvelopeWire.decode(a.bytes.subarray(1))
    const wb = EnvelopeWire.decode(b.bytes.subarray(1))
    ok(toHex(wa.ephemeral) !== toHex(wb.ephemeral))
    ok(toHex(wa.nonce) !== toHex(wb.nonce))
    strictEqual(open(a.bytes, bob.node).contentType, 1)
    ok(Math.abs(open(a.bytes, bob.node).createdAt - Date.now()) < 60_000)
    // the recipient may be given as PeerId bytes too
    const viaBytes = seal({ ...init, recipient: readEnvelopeRouting(a.bytes).recipient })
    strictEqual(open(viaBytes.bytes, bob.node).sender, alice.node.peerId)
    throwsParley(() => seal({ ...init, messageId: new Uint8Array(15) }), 'EncodeError')
    throwsParley(() => seal({ ...init, recipient: 'not-a-peer-id' }), 'InvalidPeerIdError')
    throwsParley(
      () => seal({ ...init, encryptionKey: { id: new Uint8Array(7), publicKey: init.encryptionKey.publicKey } }),
      'EncodeError'
    )
    throwsParley(
      () => seal({ ...init, encryptionKey: { id: init.encryptionKey.id, publicKey: new Uint8Array(32) } }),
      'InvalidKeyError'
    )
  })

  it('an envelope for Bob never opens for Carol (WrongRecipientError), even with her key id (100 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, carolsKeyId) => {
        const bobKey = bob.node.currentEncryptionKey()
        const encryptionKey = carolsKeyId
          ? { id: carol.node.currentEncryptionKey().id, publicKey: bobKey.publicKey }
          : bobKey
        const env = seal({ sender: alice.node, recipient: bob.node.peerId, encryptionKey, body, createdAt: NOW }).bytes
        throwsParley(() => open(env, carol.node, { now: NOW }), 'WrongRecipientError')
        throwsParley(() => open(env, carol.noble, { now: NOW }), 'WrongRecipientError')
      }),
      fcParams(100)
    )
  })

  it('a re-addressed envelope fails: recipient bytes swapped to Carol, with and without her key id', () => {
    const env = seal({
      sender: alice.node,
      recipient: bob.node.peerId,
      encryptionKey: bob.node.currentEncryptionKey(),
      body: utf8('for Bob'),
      createdAt: NOW
    }).bytes
    const wire = EnvelopeWire.decode(env.subarray(1))
    const carolId = EnvelopeWire.decode(
      seal({
        sender: alice.node,
        recipient: carol.node.peerId,
        encryptionKey: carol.node.currentEncryptionKey(),
        body: utf8(''),
        createdAt: NOW
      }).bytes.subarray(1)
    ).recipient
    const readdressed = concatBytes(Uint8Array.of(1), EnvelopeWire.encode({ ...wire, recipient: carolId }))
    throwsParley(() => open(readdressed, carol.node, { now: NOW }), 'UnknownKeyIdError')
    throwsParley(() => open(readdressed, bob.node, { now: NOW }), 'WrongRecipientError')
    const withKey = concatBytes(
      Uint8Array.of(1),
      EnvelopeWire.encode({ ...wire, recipient: carolId, keyId: carol.node.currentEncryptionKey().id })
    )
    throwsParley(() => open(withKey, carol.node, { now: NOW }), 'DecryptionFailedError')
  })

  it("a recipient cannot re-send a sender's signed message to someone else: Bob re-seals Alice's inner to Carol", () => {
    for (const engine of ['node', 'noble'] as const) {
      const env = seal({
        sender: alice[engine],
        recipient: bob[engine].peerId,
        encryptionKey: bob[engine].currentEncryptionKey(),
        body: utf8('only for Bob'),
        createdAt: NOW
      }).bytes
      // Bob can read the plaintext inner, with Alice's signature in it
      const innerBytes = decryptInner(env, bob[engine])
      const inner = EnvelopeInner.decode(innerBytes)
      assertBytes(inner.body, utf8('only for Bob'))
      // ...and wrap the very same inner for Carol: the signature covered Bob's header, so it fails
      const forwarded = sealManual({
        recipient: carol[engine],
        encryptionKey: carol[engine].currentEncryptionKey(),
        engine: carol[engine].engine,
        plaintext: () => pad(innerBytes)
      })
      throwsParley(() => open(forwarded, carol[engine], { now: NOW }), 'BadSignatureError')
    }
  })
})
