import { deepStrictEqual, strictEqual } from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { nobleEngine, nodeEngine } from '../../src/crypto/index.ts'
import {
  createIdentity,
  displayableFingerprint,
  formatSafetyNumber,
  makeEncryptionKeyPair,
  peerIdBytesFromPublicKey,
  peerIdFromPublicKey,
  peerIdToBytes,
  publicKeyFromPeerId,
  safetyNumber,
  verifySignedEncryptionKey
} from '../../src/identity/index.ts'
import { fromHex, toHex } from '../helpers/bytes.ts'
import { loadVectors } from '../helpers/json.ts'
import { referenceEncryptionKey, referenceFingerprint } from '../helpers/reference.ts'
import type { IdentityVectors } from '../helpers/vector-types.ts'

const engines = [nodeEngine(), nobleEngine()]

describe('identity known-answer vectors (test/vectors/identity.json)', () => {
  const file = loadVectors<IdentityVectors>('identity.json')

  for (const v of file.peerIds) {
    it(`PeerId of seed ${v.name} matches @libp2p/peer-id, in both engines`, async () => {
      const libp2pId = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', fromHex(v.seed)))
      strictEqual(libp2pId.toString(), v.peerId)
      strictEqual(toHex(libp2pId.toMultihash().bytes), v.peerIdBytes)
      strictEqual(toHex(libp2pId.publicKey.raw), v.publicKey)
      for (const engine of engines) {
        const id = createIdentity({ seed: fromHex(v.seed), engine })
        strictEqual(id.peerId, v.peerId, engine.name)
        strictEqual(toHex(id.publicKey), v.publicKey, engine.name)
      }
      strictEqual(peerIdFromPublicKey(fromHex(v.publicKey)), v.peerId)
      strictEqual(toHex(peerIdBytesFromPublicKey(fromHex(v.publicKey))), v.peerIdBytes)
      strictEqual(toHex(peerIdToBytes(v.peerId)), v.peerIdBytes)
      strictEqual(toHex(publicKeyFromPeerId(v.peerId)), v.publicKey)
      strictEqual(toHex(peerIdFromString(v.peerId).publicKey!.raw), v.publicKey)
    })
  }

  it('the RFC 8032 test-1 seed gives the RFC public key', () => {
    strictEqual(file.peerIds[0]!.publicKey, 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
  })

  for (const v of file.safetyNumbers) {
    it(`safety number ${v.name}: both engines, both orders, and an independent computation`, () => {
      const a = fromHex(v.publicKeyA)
      const b = fromHex(v.publicKeyB)
      strictEqual(referenceFingerprint(a, peerIdFromPublicKey(a)), v.fingerprintA)
      strictEqual(referenceFingerprint(b, peerIdFromPublicKey(b)), v.fingerprintB)
      for (const engine of engines) {
        strictEqual(displayableFingerprint(a, engine), v.fingerprintA, engine.name)
        strictEqual(displayableFingerprint(b, engine), v.fingerprintB, engine.name)
        strictEqual(safetyNumber(a, b, engine), v.safetyNumber, engine.name)
        strictEqual(safetyNumber(b, a, engine), v.safetyNumber, engine.name)
      }
      strictEqual(formatSafetyNumber(v.safetyNumber), v.formatted)
      strictEqual(v.safetyNumber.length, 60)
    })
  }

  for (const v of file.encryptionKeys) {
    it(`encryption-key statement ${v.name}: both engines sign the same bytes`, () => {
      const ref = referenceEncryptionKey(fromHex(v.identitySeed), fromHex(v.privateKey), v.createdAt)
      strictEqual(toHex(ref.signed), v.signed)
      for (const engine of engines) {
        const signer = engine.signer(fromHex(v.identitySeed))
        const pair = makeEncryptionKeyPair(signer, fromHex(v.privateKey), v.createdAt, engine)
        strictEqual(toHex(pair.publicKey), v.publicKey, engine.name)
        strictEqual(toHex(pair.id), v.keyId, engine.name)
        strictEqual(toHex(pair.signed), v.signed, engine.name)
        const checked = verifySignedEncryptionKey(fromHex(v.signed), signer.publicKey, engine)
        deepStrictEqual(
          { id: toHex(checked.id), publicKey: toHex(checked.publicKey), createdAt: checked.createdAt },
          { id: v.keyId, publicKey: v.publicKey, createdAt: v.createdAt }
        )
      }
    })
  }
})
