import { deepStrictEqual, strictEqual } from 'node:assert/strict'
import { type CryptoEngine, nobleEngine, nodeEngine } from '../../src/crypto/index.ts'
import { open, seal } from '../../src/envelope/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import { fromHex, toHex } from '../helpers/bytes.ts'
import { loadVectors } from '../helpers/json.ts'
import { referenceEnvelope } from '../helpers/reference.ts'
import type { EnvelopeVector, EnvelopeVectors } from '../helpers/vector-types.ts'

const engines = [nodeEngine(), nobleEngine()]

function parties(v: EnvelopeVector, engine: CryptoEngine) {
  const sender = createIdentity({ seed: fromHex(v.senderSeed), engine })
  const recipient = createIdentity({
    seed: fromHex(v.recipientSeed),
    engine,
    encryptionKeys: [
      { privateKey: fromHex(v.recipientEncryptionPrivateKey), createdAt: v.recipientEncryptionCreatedAt }
    ]
  })
  return { sender, recipient }
}

function sealVector(v: EnvelopeVector, engine: CryptoEngine): Uint8Array {
  const { sender, recipient } = parties(v, engine)
  return seal({
    sender,
    recipient: v.recipientPeerId,
    encryptionKey: recipient.currentEncryptionKey(),
    body: fromHex(v.body),
    contentType: v.contentType,
    messageId: fromHex(v.messageId),
    createdAt: v.createdAt,
    ephemeralPrivateKey: fromHex(v.ephemeralPrivateKey),
    nonce: fromHex(v.nonce),
    engine,
    ...(v.session !== undefined ? { session: fromHex(v.session) } : {})
  }).bytes
}

describe('envelope known-answer vectors (test/vectors/envelope.json)', () => {
  const file = loadVectors<EnvelopeVectors>('envelope.json')

  for (const v of file.vectors) {
    describe(v.name, () => {
      it('an independent rebuild from the written construction gives every intermediate value', () => {
        const ref = referenceEnvelope({
          senderSeed: fromHex(v.senderSeed),
          recipientPublicKey: fromHex(v.recipientPublicKey),
          recipientEncryptionPublicKey: fromHex(v.recipientEncryptionPublicKey),
          ephemeralPrivateKey: fromHex(v.ephemeralPrivateKey),
          nonce: fromHex(v.nonce),
          messageId: fromHex(v.messageId),
          createdAt: v.createdAt,
          contentType: v.contentType,
          body: fromHex(v.body),
          ...(v.session !== undefined ? { session: fromHex(v.session) } : {})
        })
        for (const k of ['keyId', 'ephemeralPublicKey', 'header', 'signed', 'signature', 'inner', 'padded'] as const) {
          strictEqual(toHex(ref[k]), v[k], k)
        }
        for (const k of ['sharedSecret', 'aeadKey', 'aad', 'ciphertext', 'envelope'] as const) {
          strictEqual(toHex(ref[k]), v[k], k)
        }
      })

      for (const engine of engines) {
        it(`${engine.name} engine seals to the exact bytes and opens them`, () => {
          const { sender, recipient } = parties(v, engine)
          strictEqual(sender.peerId, v.senderPeerId)
          strictEqual(recipient.peerId, v.recipientPeerId)
          strictEqual(toHex(recipient.currentEncryptionKey().publicKey), v.recipientEncryptionPublicKey)
          strictEqual(toHex(sealVector(v, engine)), v.envelope)
          const opened = open(fromHex(v.envelope), recipient, { now: v.createdAt })
          deepStrictEqual(
            {
              sender: opened.sender,
              messageId: toHex(opened.messageId),
              createdAt: opened.createdAt,
              contentType: opened.contentType,
              body: toHex(opened.body),
              keyId: toHex(opened.keyId),
              ...(opened.session !== undefined ? { session: toHex(opened.session) } : {})
            },
            v.opened
          )
          strictEqual(toHex(opened.senderKey), v.senderPublicKey)
        })
      }
    })
  }
})
