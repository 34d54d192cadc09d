import { ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { SIG_TYPE_ENCRYPTION_KEY, SIG_TYPE_ENVELOPE } from '../../src/constants.ts'
import { nobleEngine, nodeEngine, signTyped } from '../../src/crypto/index.ts'
import { ParleyError } from '../../src/errors.ts'
import {
  createIdentity,
  EncryptionKeyStatement,
  encryptionKeyId,
  SignedEncryptionKey,
  verifySignedEncryptionKey
} from '../../src/identity/index.ts'
import { fcParams, throwsParley } from '../helpers/assert.ts'
import { flipBit } from '../helpers/bytes.ts'

const engines = [nodeEngine(), nobleEngine()]

describe('identity: signed encryption keys', () => {
  const alice = createIdentity()
  const mallory = createIdentity()
  const key = alice.currentEncryptionKey()

  it('verifies under its owner, in both engines', () => {
    for (const engine of engines)
      strictEqual(verifySignedEncryptionKey(key.signed, alice.publicKey, engine).createdAt, key.createdAt)
  })

  it('refuses a statement signed for another identity (BadSignatureError)', () => {
    // Mallory presents Alice's signed key as hers
    throwsParley(
      () => verifySignedEncryptionKey(key.signed, mallory.publicKey),
      'BadSignatureError',
      /another identity/
    )
    // Mallory claims Alice's identity in a statement she signs herself
    const statement = EncryptionKeyStatement.encode({
      identityKey: alice.publicKey,
      keyId: mallory.currentEncryptionKey().id,
      publicKey: mallory.currentEncryptionKey().publicKey,
      createdAt: 1
    })
    const forged = SignedEncryptionKey.encode({
      statement,
      signature: signTyped(mallory.signer, SIG_TYPE_ENCRYPTION_KEY, statement)
    })
    for (const engine of engines) {
      throwsParley(
        () => verifySignedEncryptionKey(forged, alice.publicKey, engine),
        'BadSignatureError',
        /does not verify/
      )
    }
  })

  it('refuses a signature made for another type, and a key id that does not match the key', () => {
    const statement = EncryptionKeyStatement.decode(SignedEncryptionKey.decode(key.signed).statement)
    const bytes = EncryptionKeyStatement.encode(statement)
    const wrongType = SignedEncryptionKey.encode({
      statement: bytes,
      signature: signTyped(alice.signer, SIG_TYPE_ENVELOPE, bytes)
    })
    throwsParley(() => verifySignedEncryptionKey(wrongType, alice.publicKey), 'BadSignatureError')
    const badId = EncryptionKeyStatement.encode({ ...statement, keyId: new Uint8Array(8) })
    const signedBadId = SignedEncryptionKey.encode({
      statement: badId,
      signature: signTyped(alice.signer, SIG_TYPE_ENCRYPTION_KEY, badId)
    })
    throwsParley(() => verifySignedEncryptionKey(signedBadId, alice.publicKey), 'BadSignatureError', /key id/)
    strictEqual(encryptionKeyId(key.publicKey).byteLength, 8)
  })

  it('every flipped bit is refused with a typed error (all bits of one statement)', () => {
    const counts = new Map<string, number>()
    for (let bit = 0; bit < key.signed.byteLength * 8; bit++) {
      try {
        verifySignedEncryptionKey(flipBit(key.signed, bit), alice.publicKey)
        ok(false, `bit ${bit} accepted`)
      } catch (err) {
        ok(err instanceof ParleyError, String(err))
        counts.set(err.name, (counts.get(err.name) ?? 0) + 1)
      }
    }
    ok((counts.get('BadSignatureError') ?? 0) > 0 && (counts.get('DecodeError') ?? 0) > 0)
  })

  it('any bytes that are not a signed key are DecodeError or OversizedError, never anything else (2000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          verifySignedEncryptionKey(bytes, alice.publicKey)
          ok(false)
        } catch (err) {
          ok(err instanceof ParleyError && ['DecodeError', 'OversizedError'].includes(err.name), String(err))
        }
      }),
      fcParams(2000)
    )
  })
})
