/**
 * The per-peer token bucket (reliability T4.3), on its own with a made-up clock, and on a real
 * /parley/msg/1.0.0 server: excess frames are acked `rate-limited` and never reach the handler.
 */
import assert from 'node:assert/strict'
import { MSG_PROTOCOL } from '../../src/constants.ts'
import { createMessageClient, createRateLimiter, type MessageServer, serveMessages } from '../../src/net/index.ts'
import { startNode, stopNodes, type TestNode } from '../helpers/p2p.ts'

describe('rate limiter (token bucket per peer)', () => {
  it('allows the burst at once, then perSecond, and says how long to wait', () => {
    const rl = createRateLimiter({ perSecond: 20, burst: 40 })
    const t = 1_000_000
    const first = Array.from({ length: 100 }, () => rl.take('p', t))
    assert.equal(first.filter((w) => w === 0).length, 40)
    assert.ok(
      first.slice(40).every((w) => w === 1000),
      'the rest wait for the one-second window to end'
    )
    // 1 s later: 20 more, not 40
    const second = Array.from({ length: 100 }, () => rl.take('p', t + 1000))
    assert.equal(second.filter((w) => w === 0).length, 20)
    // a steady 100/s for 10 s gets 20/s
    let ok = 0
    for (let ms = 10; ms <= 10_000; ms += 10) if (rl.take('p', t + 1000 + ms) === 0) ok++
    assert.ok(ok >= 199 && ok <= 201, `${ok} accepted in 10 s at 100/s`)
  })

  it('in any window of t seconds it accepts at most burst + perSecond × t', () => {
    const rl = createRateLimiter({ perSecond: 20, burst: 40 })
    const accepted: number[] = []
    // 100 msg/s with random jitter for 20 s
    let now = 5_000
    let seed = 7
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      now += (seed % 20) + 1
      if (rl.take('flooder', now) === 0) accepted.push(now)
    }
    for (let i = 0; i < accepted.length; i++) {
      for (const windowMs of [100, 1000, 3000]) {
        let n = 0
        for (let j = i; j < accepted.length && accepted[j]! < accepted[i]! + windowMs; j++) n++
        assert.ok(n <= 40 + (20 * windowMs) / 1000 + 1, `${n} accepted within ${windowMs} ms`)
      }
    }
  })

  it('a flood of 100/s gets at most the burst (40) in its first second, then 20 a second (T4.3)', () => {
    const rl = createRateLimiter({ perSecond: 20, burst: 40 })
    const perSecond: number[] = []
    for (let second = 0; second < 5; second++) {
      let ok = 0
      for (let i = 0; i < 100; i++) if (rl.take('flood', second * 1000 + i * 10) === 0) ok++
      perSecond.push(ok)
    }
    assert.equal(perSecond[0], 40)
    for (const n of perSecond.slice(1)) assert.ok(n <= 20 + 1, `${perSecond}`)
  })

  it('keeps a bucket per key: one flooding key does not use up another', () => {
    const rl = createRateLimiter({ perSecond: 20, burst: 40 })
    for (let i = 0; i < 500; i++) rl.take('flooder', 1000)
    assert.equal(rl.take('flooder', 1000) > 0, true)
    assert.equal(rl.take('honest', 1000), 0)
  })

  it('bounds its memory: at most maxKeys buckets, least recently used forgotten, idle full ones pruned', () => {
    const rl = createRateLimiter({ perSecond: 20, burst: 40, maxKeys: 100 })
    for (let i = 0; i < 1000; i++) rl.take(`peer-${i}`, 1000)
    assert.equal(rl.size, 100)
    rl.prune(1000 + 1999)
    assert.equal(rl.size, 100, 'buckets pruned before they could have refilled')
    rl.prune(1000 + 2000)
    assert.equal(rl.size, 0)
  })
})

describe('rate limit on a /parley/msg/1.0.0 server (default 20/s, burst 40)', function () {
  this.timeout(60_000)
  let server: TestNode
  let flooder: TestNode
  let honest: TestNode
  let msg: MessageServer
  const handled = new Map<string, number>()

  beforeEach(async () => {
    handled.clear()
    ;[server, flooder, honest] = await Promise.all([startNode(), startNode(), startNode()])
    msg = await serveMessages(server.node, {
      onEnvelope: (_envelope, from) => {
        handled.set(from, (handled.get(from) ?? 0) + 1)
        return { status: 'ok' }
      }
    })
  })
  afterEach(async () => {
    await msg?.stop()
    await stopNodes([server, flooder, honest])
  })

  it('a burst of 150 gets 40 through; the rest are rate-limited with a retry hint and never handled', async () => {
    const client = createMessageClient({
      openStream: (_id, signal) => flooder.node.dialProtocol(server.node.getMultiaddrs()[0]!, MSG_PROTOCOL, { signal })
    })
    const honestClient = createMessageClient({
      openStream: (_id, signal) => honest.node.dialProtocol(server.node.getMultiaddrs()[0]!, MSG_PROTOCOL, { signal })
    })
    try {
      const t0 = Date.now()
      const acks = await client.send(
        server.peerId,
        Array.from({ length: 150 }, (_, i) => Uint8Array.of(1, i))
      )
      const elapsed = Date.now() - t0
      const ok = acks.filter((a) => a.status === 'ok').length
      // at most one extra token can have come in per 50 ms of processing
      assert.ok(ok >= 40 && ok <= 40 + Math.ceil(elapsed / 50), `${ok} accepted in ${elapsed} ms`)
      const limited = acks.filter((a) => a.status === 'rate-limited')
      assert.equal(ok + limited.length, 150)
      // the one-second window is full: come back when it ends
      assert.ok(limited.every((a) => a.retryAfterMs !== undefined && a.retryAfterMs > 0 && a.retryAfterMs <= 1000))
      assert.ok(limited.every((a) => a.reason === 'too many messages'))
      assert.equal(handled.get(flooder.peerId), ok, 'a rate-limited frame reached the handler')
      // another peer is not affected
      const other = await honestClient.send(server.peerId, [Uint8Array.of(2, 1), Uint8Array.of(2, 2)])
      assert.deepEqual(
        other.map((a) => a.status),
        ['ok', 'ok']
      )
      assert.equal(handled.get(honest.peerId), 2)
      assert.equal(msg.limiter.size, 2)
    } finally {
      client.closeAll()
      honestClient.closeAll()
    }
  })
})
