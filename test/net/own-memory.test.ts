/** ownBuffer and ownPeerId: what a node keeps must not keep the message it came in alive. */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromMultihash, peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { ownBuffer, ownPeerId } from '../../src/net/own-memory.ts'

describe('ownPeerId', () => {
  it('rebuilds a PeerId decoded from a slice of a 64 KiB frame over 38 bytes of its own; the same id', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const bytes = id.toMultihash().bytes
    const frame = new Uint8Array(65_536)
    frame.set(bytes, 1_000)
    const decoded = peerIdFromMultihash(Digest.decode(frame.subarray(1_000, 1_000 + bytes.byteLength)))
    assert.equal(decoded.toMultihash().digest.buffer.byteLength, 65_536, 'setup: the decoded id is a view of the frame')
    const own = ownPeerId(decoded)
    assert.ok(own.equals(id))
    assert.equal(own.toString(), id.toString())
    for (const b of [own.toMultihash().bytes, own.toMultihash().digest, own.publicKey!.raw]) {
      assert.ok(b.buffer.byteLength <= 38, `${b.buffer.byteLength}-byte buffer`)
    }
    frame.fill(0)
    assert.ok(own.equals(id), 'a copy: reusing the frame does not change the id')
  })

  it('returns a PeerId that already owns its bytes as it is', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const whole = peerIdFromMultihash(Digest.decode(new Uint8Array(id.toMultihash().bytes)))
    assert.equal(ownPeerId(whole), whole)
  })
})

describe('ownBuffer', () => {
  it('ownBuffer copies a Buffer view (whose slice() would share memory) and an offset view', () => {
    const slab = Buffer.from([0, 1, 2, 3, 4, 5])
    for (const view of [slab.subarray(1, 4), new Uint8Array(slab.buffer, slab.byteOffset + 2, 2)]) {
      const owned = ownBuffer(view)
      assert.deepEqual(new Uint8Array(owned), new Uint8Array(view))
      assert.equal(owned.byteOffset, 0)
      assert.equal(owned.buffer.byteLength, view.byteLength)
    }
    const whole = new Uint8Array(4)
    assert.equal(ownBuffer(whole), whole)
  })
})
