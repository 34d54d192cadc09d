import { ok, strictEqual } from 'node:assert/strict'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import fc from 'fast-check'
import {
  createIdentity,
  isPeerId,
  PEER_ID_BYTES,
  peerIdBytesFromPublicKey,
  peerIdFromBytes,
  peerIdFromPublicKey,
  peerIdToBytes,
  publicKeyFromPeerId,
  publicKeyFromPeerIdBytes
} from '../../src/identity/index.ts'
import { fcParams, throwsParley } from '../helpers/assert.ts'
import { toHex } from '../helpers/bytes.ts'

describe('identity: PeerIds', () => {
  it('match @libp2p/peer-id for random seeds, both ways (100 seeds)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (seed) => {
        const libp2p = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed))
        const ours = createIdentity({ seed })
        strictEqual(ours.peerId, libp2p.toString())
        strictEqual(toHex(peerIdToBytes(ours.peerId)), toHex(libp2p.toMultihash().bytes))
        strictEqual(toHex(publicKeyFromPeerId(libp2p.toString())), toHex(ours.publicKey))
        strictEqual(peerIdFromString(ours.peerId).equals(libp2p), true)
        strictEqual(peerIdFromBytes(peerIdBytesFromPublicKey(ours.publicKey)), ours.peerId)
        ok(ours.peerId.startsWith('12D3KooW'))
      }),
      fcParams(100)
    )
  })

  it('refuses PeerIds of other key types, CIDs, garbage and over-long strings (InvalidPeerIdError)', async () => {
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    const ed = createIdentity().peerId
    const cid = peerIdFromString(ed).toCID().toString()
    for (const bad of [
      secp,
      cid,
      '',
      '12D3KooW',
      `${ed}1`,
      ed.slice(0, -1),
      'not a peer id 0OIl',
      'Qm'.repeat(40),
      `${ed}${ed}`
    ]) {
      throwsParley(() => peerIdToBytes(bad), 'InvalidPeerIdError')
      strictEqual(isPeerId(bad), false)
    }
    throwsParley(() => peerIdToBytes(5 as unknown as string), 'InvalidPeerIdError')
    strictEqual(isPeerId(undefined), false)
    strictEqual(isPeerId(ed), true)
  })

  it('multihash helpers check the prefix and the length', () => {
    const pk = createIdentity().publicKey
    const mh = peerIdBytesFromPublicKey(pk)
    strictEqual(mh.byteLength, PEER_ID_BYTES)
    strictEqual(toHex(publicKeyFromPeerIdBytes(mh)!), toHex(pk))
    for (let i = 0; i < 6; i++) {
      const bad = Uint8Array.from(mh)
      bad[i]! ^= 1
      strictEqual(publicKeyFromPeerIdBytes(bad), undefined)
      throwsParley(() => peerIdFromBytes(bad), 'InvalidPeerIdError')
    }
    strictEqual(publicKeyFromPeerIdBytes(mh.subarray(1)), undefined)
    throwsParley(() => peerIdBytesFromPublicKey(new Uint8Array(31)), 'InvalidPeerIdError')
    throwsParley(() => peerIdFromPublicKey(new Uint8Array(33)), 'InvalidPeerIdError')
  })
})
