import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { open, readEnvelopeRouting, seal } from '../../src/envelope/index.ts'
import { createIdentity, peerIdBytesFromPublicKey } from '../../src/identity/index.ts'
import { fcParams } from '../helpers/assert.ts'
import { indexOfBytes, toHex, utf8 } from '../helpers/bytes.ts'

describe('envelope: sealed sender', () => {
  it("the sender's public key, PeerId bytes and PeerId string appear nowhere in the envelope (200 senders)", () => {
    const bob = createIdentity()
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 500 }), (seed, body) => {
        const alice = createIdentity({ seed })
        const env = seal({
          sender: alice,
          recipient: bob.peerId,
          encryptionKey: bob.currentEncryptionKey(),
          body
        }).bytes
        const secrets = [alice.publicKey, peerIdBytesFromPublicKey(alice.publicKey), utf8(alice.peerId)]
        for (const s of secrets) strictEqual(indexOfBytes(env, s), -1)
        // not even an 8-byte window of the key (a random 8-byte match has odds of about 2^-55 here)
        for (let i = 0; i + 8 <= 32; i++) strictEqual(indexOfBytes(env, alice.publicKey.subarray(i, i + 8)), -1)
        // while the recipient learns exactly who sent it
        strictEqual(open(env, bob).sender, alice.peerId)
      }),
      fcParams(200)
    )
  })

  it('a relay reads only the version, the recipient, the key id and the session', () => {
    const alice = createIdentity()
    const bob = createIdentity()
    const session = new Uint8Array([1, 2, 3])
    const env = seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: bob.currentEncryptionKey(),
      body: utf8('x'),
      session
    }).bytes
    const routing = readEnvelopeRouting(env)
    deepStrictEqual(Object.keys(routing).sort(), ['keyId', 'recipient', 'session', 'version'])
    strictEqual(routing.recipient, bob.peerId)
    strictEqual(routing.version, 1)
    strictEqual(toHex(routing.keyId), toHex(bob.currentEncryptionKey().id))
    strictEqual(toHex(routing.session!), '010203')
    ok(
      !(
        'session' in
        readEnvelopeRouting(
          seal({ sender: alice, recipient: bob.peerId, encryptionKey: bob.currentEncryptionKey(), body: utf8('x') })
            .bytes
        )
      )
    )
  })

  it('two messages of the same body from different senders have the same length (no size tell)', () => {
    const bob = createIdentity()
    const lengths = new Set<number>()
    for (let i = 0; i < 20; i++) {
      const env = seal({
        sender: createIdentity(),
        recipient: bob.peerId,
        encryptionKey: bob.currentEncryptionKey(),
        body: utf8('same body')
      }).bytes
      lengths.add(env.byteLength)
    }
    strictEqual(lengths.size, 1)
  })
})
