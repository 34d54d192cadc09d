/**
 * /parley/msg/1.0.0 between real libp2p nodes on loopback TCP: ordering of acks, and bad frames
 * (malformed, oversized, a 2^31 length prefix) that must reset only their own stream, without the
 * server allocating what the prefix announces (reliability T1.3, T4.5).
 */
import assert from 'node:assert/strict'
import * as lp from 'it-length-prefixed'
import { encodeCanonical } from '../../src/codec/index.ts'
import { MAX_ENVELOPE_BYTES, MAX_MSG_FRAME_BYTES } from '../../src/constants.ts'
import { type InboundOutcome, type MessageServer, serveMessages } from '../../src/net/index.ts'
import { concatBytes, endsWithin, messageFrame, openRawStream, type RawMsgStream, varint } from '../helpers/msg-wire.ts'
import { sleep, startNode, stopNodes, type TestNode, waitFor } from '../helpers/p2p.ts'

const MiB = 1024 * 1024

describe('/parley/msg/1.0.0 on loopback TCP', function () {
  this.timeout(60_000)
  let server: TestNode
  let p1: TestNode
  let p2: TestNode
  let msg: MessageServer
  let received: Array<{ envelope: Uint8Array; from: string }>
  let decide: (envelope: Uint8Array, from: string) => InboundOutcome | Promise<InboundOutcome>

  beforeEach(async () => {
    received = []
    decide = () => ({ status: 'ok' })
    ;[server, p1, p2] = await Promise.all([startNode(), startNode(), startNode()])
    msg = await serveMessages(server.node, {
      onEnvelope: (envelope, from) => {
        received.push({ envelope, from })
        return decide(envelope, from)
      }
    })
  })

  afterEach(async () => {
    await msg?.stop()
    await stopNodes([server, p1, p2])
  })

  /** One frame on a fresh stream from `peer`: the ack must come back ok. */
  async function roundTrip(raw: RawMsgStream, seq: number, body = `hello ${seq}`): Promise<void> {
    await raw.send(messageFrame(seq, new TextEncoder().encode(body)))
    const ack = await raw.ack()
    assert.equal(ack.seq, seq)
    assert.equal(ack.status, 'ok')
  }

  function connectionId(from: TestNode, to: TestNode): string {
    const conns = from.node.getConnections(to.node.peerId)
    assert.equal(conns.length, 1, `${conns.length} connections`)
    assert.equal(conns[0]!.status, 'open')
    return conns[0]!.id
  }

  it('answers pipelined frames in order, each after its handler resolves, with its status and reason', async () => {
    decide = async (envelope) => {
      const n = envelope[0]!
      await sleep(n === 1 ? 150 : 0) // the first one is the slowest
      return n === 3 ? { status: 'refused', reason: 'WrongRecipientError' } : { status: 'ok' }
    }
    const raw = await openRawStream(p1.node, server.addrs[0]!)
    await raw.send(
      concatBytes(
        messageFrame(7, Uint8Array.of(1)),
        messageFrame(8, Uint8Array.of(2)),
        messageFrame(9, Uint8Array.of(3))
      )
    )
    const acks = [await raw.ack(), await raw.ack(), await raw.ack()]
    assert.deepEqual(
      acks.map((a) => [a.seq, a.status, a.reason]),
      [
        [7, 'ok', undefined],
        [8, 'ok', undefined],
        [9, 'refused', 'WrongRecipientError']
      ]
    )
    assert.deepEqual(
      received.map((r) => [r.envelope[0], r.from]),
      [
        [1, p1.peerId],
        [2, p1.peerId],
        [3, p1.peerId]
      ]
    )
    // a clean half-close from the client ends the stream cleanly once every ack is out
    await raw.stream.close()
    assert.equal((await endsWithin(raw, 5_000)).how, 'closed')
  })

  it('a handler that throws gives an `unavailable` ack and the stream goes on', async () => {
    decide = (envelope) => {
      if (envelope[0] === 0) throw new Error('disk full')
      return { status: 'ok' }
    }
    const raw = await openRawStream(p1.node, server.addrs[0]!)
    await raw.send(messageFrame(1, Uint8Array.of(0)))
    const a = await raw.ack()
    assert.equal(a.status, 'unavailable')
    assert.equal(a.reason, 'could not store the message')
    await roundTrip(raw, 2)
  })

  it('a peer that resets its stream or hangs up while acks are pending cannot crash the server', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    try {
      decide = async () => {
        await sleep(100)
        return { status: 'ok' }
      }
      const frames = concatBytes(...[1, 2, 3].map((i) => messageFrame(i, Uint8Array.of(i))))
      // the stream is reset under the server's pending acks
      const reset = await openRawStream(p1.node, server.addrs[0]!)
      await reset.send(frames)
      await waitFor(() => received.length === 3, 'the frames to arrive')
      reset.stream.abort(new Error('going away'))
      // the whole connection goes, with acks pending on another peer's stream
      const dropped = await openRawStream(p2.node, server.addrs[0]!)
      await dropped.send(frames)
      await waitFor(() => received.length === 6, 'the frames to arrive')
      await p2.node.hangUp(server.node.peerId)
      await sleep(400)
      assert.deepEqual(
        unhandled.map((r) => String(r)),
        []
      )
      // and the server still serves
      decide = () => ({ status: 'ok' })
      await roundTrip(await openRawStream(p1.node, server.addrs[0]!), 10)
      await roundTrip(await openRawStream(p2.node, server.addrs[0]!), 11)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('a malformed frame (garbage inside a valid length prefix) resets only that stream', async () => {
    const keeper = await openRawStream(p1.node, server.addrs[0]!)
    await roundTrip(keeper, 1)
    const connBefore = connectionId(p1, server)
    const garbage: Array<[string, Uint8Array]> = [
      ['random bytes', Uint8Array.from({ length: 200 }, (_, i) => (i * 151 + 7) & 0xff)],
      ['invalid CBOR', Uint8Array.of(0xff, 0xfe, 0xfd)],
      ['an empty frame', new Uint8Array(0)],
      [
        'a CBOR map with an unknown key',
        encodeCanonical(
          new Map<number, unknown>([
            [0, 1],
            [1, 3],
            [2, Uint8Array.of(1)],
            [9, 1]
          ])
        )
      ],
      [
        'a frame of another version',
        encodeCanonical(
          new Map<number, unknown>([
            [0, 2],
            [1, 3],
            [2, Uint8Array.of(1)]
          ])
        )
      ],
      [
        'an empty envelope',
        encodeCanonical(
          new Map<number, unknown>([
            [0, 1],
            [1, 3],
            [2, new Uint8Array(0)]
          ])
        )
      ],
      [
        'a text envelope',
        encodeCanonical(
          new Map<number, unknown>([
            [0, 1],
            [1, 3],
            [2, 'hi']
          ])
        )
      ],
      // a uint encoded in 2 bytes where 1 would do: not canonical
      ['a non-canonical encoding', Uint8Array.of(0xa3, 0x00, 0x01, 0x01, 0x18, 0x03, 0x02, 0x41, 0x01)]
    ]
    for (const [what, payload] of garbage) {
      const bad = await openRawStream(p1.node, server.addrs[0]!)
      await bad.send(concatBytes(lp.encode.single(payload).subarray(), messageFrame(99, Uint8Array.of(1))))
      const end = await endsWithin(bad, 5_000)
      assert.equal(end.how, 'reset', `${what}: the stream ended ${end.how}`)
      assert.equal(bad.acks.length, 0, `${what}: got an ack`)
      // the stream before it still works, on the same connection
      await roundTrip(keeper, 2 + garbage.findIndex(([w]) => w === what))
    }
    assert.equal(connectionId(p1, server), connBefore, 'the connection was replaced')
    // a new stream from the same peer, and another peer, are served
    await roundTrip(await openRawStream(p1.node, server.addrs[0]!), 100)
    await roundTrip(await openRawStream(p2.node, server.addrs[0]!), 101)
    assert.equal(received.length, 1 + garbage.length + 2, 'a malformed frame reached the handler')
    assert.ok(received.every((r) => new TextDecoder().decode(r.envelope).startsWith('hello')))
  })

  it('a length prefix announcing 2^31 bytes resets the stream without allocating it (RSS and buffers < 20 MB)', async () => {
    const keeper = await openRawStream(p1.node, server.addrs[0]!)
    await roundTrip(keeper, 1)
    const connBefore = connectionId(p1, server)
    if (global.gc !== undefined) global.gc()
    const base = process.memoryUsage()
    let peakRss = base.rss
    let peakBuffers = base.arrayBuffers
    const sampler = setInterval(() => {
      const m = process.memoryUsage()
      peakRss = Math.max(peakRss, m.rss)
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers)
    }, 2)
    try {
      const prefixes: Array<[string, Uint8Array]> = [
        ['2^31', varint(2 ** 31)],
        ['2^32 - 1', varint(2 ** 32 - 1)],
        ['2^53 - 1', varint(Number.MAX_SAFE_INTEGER)],
        ['a 12-byte varint that never ends', new Uint8Array(12).fill(0xff)]
      ]
      for (const [what, prefix] of prefixes) {
        const bad = await openRawStream(p1.node, server.addrs[0]!)
        // the prefix, then a first 256 KiB of the promised body
        const sent = bad.send(concatBytes(prefix, new Uint8Array(256 * 1024).fill(0x41)))
        const end = await endsWithin(bad, 5_000)
        await sent.catch(() => {})
        assert.equal(end.how, 'reset', `${what}: the stream ended ${end.how}`)
        assert.equal(bad.acks.length, 0)
        await roundTrip(keeper, 2 + prefixes.findIndex(([w]) => w === what))
      }
    } finally {
      clearInterval(sampler)
    }
    const rssDelta = (peakRss - base.rss) / MiB
    const bufferDelta = (peakBuffers - base.arrayBuffers) / MiB
    assert.ok(rssDelta < 20, `RSS grew by ${rssDelta.toFixed(1)} MiB`)
    assert.ok(bufferDelta < 20, `array buffers grew by ${bufferDelta.toFixed(1)} MiB`)
    assert.equal(connectionId(p1, server), connBefore)
    await roundTrip(await openRawStream(p2.node, server.addrs[0]!), 50)
    assert.equal(received.length, 1 + 4 + 1)
  })

  it('one byte over MAX_MSG_FRAME_BYTES resets the stream; the largest legitimate frame is accepted', async () => {
    // the biggest envelope there is fits in a frame under the cap
    const biggest = new Uint8Array(MAX_ENVELOPE_BYTES).fill(0x5a)
    const frame = messageFrame(1, biggest)
    assert.ok(frame.byteLength - varint(frame.byteLength).byteLength <= MAX_MSG_FRAME_BYTES)
    const ok = await openRawStream(p1.node, server.addrs[0]!)
    await ok.send(frame)
    assert.equal((await ok.ack()).status, 'ok')
    assert.equal(received[0]!.envelope.byteLength, MAX_ENVELOPE_BYTES)
    const connBefore = connectionId(p1, server)

    const bad = await openRawStream(p1.node, server.addrs[0]!)
    const sent = bad.send(concatBytes(varint(MAX_MSG_FRAME_BYTES + 1), new Uint8Array(MAX_MSG_FRAME_BYTES + 1)))
    const end = await endsWithin(bad, 5_000)
    await sent.catch(() => {})
    assert.equal(end.how, 'reset')
    assert.equal(bad.acks.length, 0)
    assert.equal(received.length, 1)

    // and a well-formed frame whose envelope is one byte over the envelope cap is refused too
    const over = await openRawStream(p1.node, server.addrs[0]!)
    // built by hand: the schema's encoder refuses an envelope over the cap
    const body = encodeCanonical(
      new Map<number, unknown>([
        [0, 1],
        [1, 2],
        [2, new Uint8Array(MAX_ENVELOPE_BYTES + 1)]
      ])
    )
    assert.ok(body.byteLength <= MAX_MSG_FRAME_BYTES, 'this frame is within the frame cap')
    await over.send(lp.encode.single(body).subarray())
    assert.equal((await endsWithin(over, 5_000)).how, 'reset')
    assert.equal(received.length, 1)

    await ok.send(messageFrame(3, Uint8Array.of(1)))
    assert.equal((await ok.ack()).status, 'ok', 'the other stream stopped working')
    assert.equal(connectionId(p1, server), connBefore)
    await roundTrip(await openRawStream(p2.node, server.addrs[0]!), 4)
  })
})
