/**
 * /parley/profile/1.0.0 between real libp2p nodes on loopback TCP: a node hands out the profile
 * record it last published; an asker gets those bytes, or a typed error for a reply it cannot use,
 * and never waits past its signal on a peer that opens the stream and says nothing.
 */
import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import { encodeCanonical } from '../../src/codec/index.ts'
import { PROFILE_PROTOCOL } from '../../src/constants.ts'
import { MAX_PROFILE_RECORD_BYTES } from '../../src/directory/index.ts'
import { fetchProfile, serveProfile } from '../../src/net/index.ts'
import { startNode, stopNodes, type TestNode } from '../helpers/p2p.ts'

describe('/parley/profile/1.0.0 on loopback TCP', function () {
  this.timeout(60_000)
  let server: TestNode
  let asker: TestNode

  beforeEach(async () => {
    ;[server, asker] = await Promise.all([startNode(), startNode()])
    await asker.node.dial(multiaddr(server.addrs[0]!))
  })
  afterEach(() => stopNodes([server, asker]))

  const ask = (ms = 10_000) => fetchProfile(asker.node, server.peerId, AbortSignal.timeout(ms))

  /** Serve the protocol with a handler that writes `reply` (already framed) and closes. */
  async function answerWith(reply: Uint8Array): Promise<void> {
    await server.node.handle(PROFILE_PROTOCOL, async (stream: Stream) => {
      stream.send(reply)
      await stream.close()
    })
  }

  it('hands out the record the node holds now, and none before it has one', async () => {
    let current: Uint8Array | undefined
    const stop = await serveProfile(server.node, () => current)
    assert.equal(await ask(), undefined)
    current = new Uint8Array(300).fill(7)
    assert.deepEqual(await ask(), current)
    current = new Uint8Array(MAX_PROFILE_RECORD_BYTES).fill(9)
    assert.deepEqual(await ask(), current, 'a record of the largest size')
    await stop()
    await assert.rejects(ask(), { name: 'UnsupportedProtocolError' })
  })

  it('rejects a reply that is not a profile reply, or larger than any profile, with a typed error', async () => {
    await answerWith(lp.encode.single(new Uint8Array([0xff, 0x00, 0x13])).subarray())
    await assert.rejects(ask(), { name: 'MalformedFrameError' })
    await server.node.unhandle(PROFILE_PROTOCOL)

    // a well-formed reply whose record is one byte over the cap (the frame itself is within its
    // limit): the schema refuses it, where the largest allowed record passes (the test above)
    const over = encodeCanonical(
      new Map<number, unknown>([
        [0, 1],
        [1, new Uint8Array(MAX_PROFILE_RECORD_BYTES + 1)]
      ])
    )
    assert.ok(over.byteLength <= MAX_PROFILE_RECORD_BYTES + 64)
    await answerWith(lp.encode.single(over).subarray())
    await assert.rejects(ask(), { name: 'MalformedFrameError' })
    await server.node.unhandle(PROFILE_PROTOCOL)

    // a length prefix past the cap: refused before the bytes are read
    const hugeLength = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x04]) // 2^30
    await answerWith(hugeLength)
    await assert.rejects(ask(), (err: Error) => err.name !== 'AbortError' && err.name !== 'TimeoutError')
  })

  it('gives up on a peer that opens the stream and never answers when the signal fires', async () => {
    await server.node.handle(PROFILE_PROTOCOL, () => {
      // hold the stream open, say nothing
    })
    const started = performance.now()
    await assert.rejects(ask(500))
    const ms = performance.now() - started
    assert.ok(ms < 5_000, `gave up after ${ms.toFixed(0)} ms`)
  })
})
