/** Noise's X25519 on key objects made once: the same keys and shared secrets as Noise's own crypto. */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../src/net/index.ts'
import { plainPeer, startNode, stopNodes, type TestNode } from '../helpers/p2p.ts'

const hex = (b: Uint8Array | Uint8ArrayList): string =>
  Buffer.from(b instanceof Uint8Array ? b : b.subarray()).toString('hex')

describe('noise crypto (X25519 on cached key objects)', () => {
  it('agrees with Noise’s own crypto on every shared secret, both ways, again and again', () => {
    const ours = noiseCrypto.generateX25519KeyPair()
    for (let i = 0; i < 5; i++) {
      const theirs = defaultCrypto.generateX25519KeyPair()
      const mine = noiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)
      assert.equal(hex(mine), hex(defaultCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)))
      // the same private key array asked twice, and a key it never made (Noise's), give the same
      assert.equal(hex(noiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)), hex(mine))
      assert.equal(
        hex(noiseCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)),
        hex(defaultCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey))
      )
    }
  })

  it('keeps two key pairs apart: each private key meets its own shared secret', () => {
    const a = noiseCrypto.generateX25519KeyPair()
    const b = noiseCrypto.generateX25519KeyPair()
    const peer = defaultCrypto.generateX25519KeyPair()
    assert.notEqual(hex(a.privateKey), hex(b.privateKey))
    assert.equal(
      hex(noiseCrypto.generateX25519SharedKey(a.privateKey, peer.publicKey)),
      hex(defaultCrypto.generateX25519SharedKey(peer.privateKey, a.publicKey))
    )
    assert.equal(
      hex(noiseCrypto.generateX25519SharedKey(b.privateKey, peer.publicKey)),
      hex(defaultCrypto.generateX25519SharedKey(peer.privateKey, b.publicKey))
    )
  })

  it('derives the same key pair from a seed as Noise does, and refuses a seed of the wrong size', () => {
    const seed = new Uint8Array(randomBytes(32))
    const ours = noiseCrypto.generateX25519KeyPairFromSeed(seed)
    const theirs = defaultCrypto.generateX25519KeyPairFromSeed(seed)
    assert.equal(hex(ours.publicKey), hex(theirs.publicKey))
    assert.equal(hex(ours.privateKey), hex(theirs.privateKey))
    assert.throws(() => noiseCrypto.generateX25519KeyPairFromSeed(new Uint8Array(31)), RangeError)
  })

  it('takes keys as Uint8ArrayList and refuses a public key of the wrong size', () => {
    const ours = noiseCrypto.generateX25519KeyPair()
    const theirs = defaultCrypto.generateX25519KeyPair()
    const split = new Uint8ArrayList(theirs.publicKey.subarray(0, 10), theirs.publicKey.subarray(10))
    assert.equal(
      hex(noiseCrypto.generateX25519SharedKey(ours.privateKey, split)),
      hex(noiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey))
    )
    assert.throws(() => noiseCrypto.generateX25519SharedKey(ours.privateKey, new Uint8Array(33)), RangeError)
    assert.throws(() => noiseCrypto.generateX25519SharedKey(ours.privateKey, new Uint8Array(0)), RangeError)
    // a private key it never made, of the wrong size: the same typed error, not a DER parse failure
    assert.throws(() => noiseCrypto.generateX25519SharedKey(new Uint8Array(31), theirs.publicKey), RangeError)
  })

  describe('on the wire', function () {
    this.timeout(30_000)
    let nodes: TestNode[] = []
    afterEach(async () => {
      await stopNodes(nodes)
      nodes = []
    })

    it('a Parley node and a libp2p node with Noise’s own crypto handshake and ping', async () => {
      const plain = await plainPeer()
      try {
        const parley = await startNode({ transport: 'memory' })
        nodes.push(parley)
        const rtt = await parley.node.services.ping.ping(plain.getMultiaddrs()[0]!)
        assert.ok(rtt >= 0)
        assert.equal(parley.node.getConnections(plain.peerId)[0]?.encryption, '/noise')
        // and the other way round
        const back = await plain.services.ping.ping(parley.node.getMultiaddrs()[0]!)
        assert.ok(back >= 0)
      } finally {
        await plain.stop()
      }
    })
  })
})
