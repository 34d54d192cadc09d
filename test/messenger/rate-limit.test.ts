/**
 * A peer flooding a messenger with sealed envelopes (≥ 100/s) is held to the default limit of
 * burst 40 then 20/s; what is over the limit is acked `rate-limited` and changes nothing in the
 * store, while another peer's messages keep getting through (issue #3, reliability T4.3).
 */
import assert from 'node:assert/strict'
import type { AckFrame } from '../../src/net/index.ts'
import { directClient, incomingCount, type MessengerFleet, messengerFleet, sealText, sleep } from '../helpers/p2p.ts'

const FLOOD_MS = 3000
const RATE = 125
const TICK_MS = 20

describe('messenger: inbound rate limit under a flood', function () {
  this.timeout(60_000)
  let fleet: MessengerFleet

  beforeEach(() => {
    fleet = messengerFleet()
  })
  afterEach(() => fleet.stopAll())

  it('a 125 msg/s flood gets 40 at once then ~20/s; the excess is refused and not stored; another peer is served', async () => {
    const [a, b, c] = await Promise.all([fleet.start(), fleet.start(), fleet.start()])
    const flood = directClient(a.messenger.node, () => b.addrs())
    const other = directClient(c.messenger.node, () => b.addrs())
    try {
      // seal everything first, so the flood is paced by the clock only
      const burst = Array.from({ length: 100 }, (_, i) => sealText(a.identity, b.identity, `burst ${i}`))
      const steady = Array.from({ length: (FLOOD_MS / 1000) * RATE }, (_, i) =>
        sealText(a.identity, b.identity, `steady ${i}`)
      )
      const fromC = Array.from({ length: Math.floor(FLOOD_MS / 200) }, (_, i) =>
        sealText(c.identity, b.identity, `c ${i}`)
      )

      // 1. 100 at once
      const t0 = Date.now()
      const burstAcks = await flood.send(
        b.peerId,
        burst.map((e) => e.bytes)
      )
      const burstMs = Date.now() - t0
      const burstOk = burstAcks.filter((x) => x.status === 'ok').length
      assert.ok(burstOk >= 40 && burstOk <= 40 + Math.ceil(burstMs / 50), `${burstOk} of 100 accepted in ${burstMs} ms`)

      // 2. a steady flood, with C sending every 200 ms meanwhile
      const pending: Array<Promise<AckFrame[]>> = []
      const cResults: Array<{ status: string; ms: number }> = []
      const cLoop = (async () => {
        for (const env of fromC) {
          const start = Date.now()
          const [ack] = await other.send(b.peerId, [env.bytes])
          cResults.push({ status: ack!.status, ms: Date.now() - start })
          await sleep(200)
        }
      })()
      // paced by the clock, catching up after any stall of the (busy, shared) event loop
      const floodStart = Date.now()
      let next = 0
      while (next < steady.length) {
        const due = Math.min(steady.length, Math.ceil(((Date.now() - floodStart) / 1000) * RATE))
        if (due > next) {
          pending.push(
            flood.send(
              b.peerId,
              steady.slice(next, due).map((e) => e.bytes)
            )
          )
          next = due
        }
        await sleep(TICK_MS)
      }
      const steadyAcks = (await Promise.all(pending)).flat()
      const floodSeconds = (Date.now() - floodStart) / 1000
      await cLoop

      const steadyOk = steadyAcks.filter((x) => x.status === 'ok').length
      const offeredRate = steady.length / floodSeconds
      assert.ok(offeredRate >= 100, `the flood was only ${offeredRate.toFixed(0)} msg/s`)
      // a token bucket never lets in more than burst + rate × time since the first frame
      const totalSeconds = (Date.now() - t0) / 1000
      assert.ok(
        burstOk + steadyOk <= 40 + 20 * totalSeconds + 1,
        `${burstOk + steadyOk} accepted in ${totalSeconds.toFixed(2)} s`
      )
      // and the bucket was empty after the burst: about 20 per second got in
      assert.ok(steadyOk >= 20 * floodSeconds * 0.6, `only ${steadyOk} accepted in ${floodSeconds.toFixed(2)} s`)

      // every refused one is rate-limited (nothing else), with a hint, and left no trace
      const all = [...burst, ...steady]
      const acks = [...burstAcks, ...steadyAcks]
      assert.equal(acks.length, all.length)
      const accepted = all.filter((_, i) => acks[i]!.status === 'ok')
      const limited = all.filter((_, i) => acks[i]!.status === 'rate-limited')
      assert.equal(accepted.length + limited.length, all.length, 'an ack was neither ok nor rate-limited')
      assert.ok(limited.length >= all.length / 2)
      for (const e of limited) {
        assert.equal(b.store.hasSeen(e.id), false)
        assert.equal(b.store.getMessage(e.id), undefined)
      }
      for (const e of accepted) assert.equal(b.store.getMessage(e.id)?.from, a.peerId)
      assert.equal(incomingCount(b.store, a.peerId), accepted.length)

      // on B's own clock: from the first acceptance, never more than 40 + 20 per second so far,
      // and after the burst about 20 per second
      const times = accepted.map((e) => b.store.getMessage(e.id)!.receivedAt!).sort((x, y) => x - y)
      times.forEach((t, i) => {
        const allowed = 40 + (20 * (t - times[0]!)) / 1000 + 1
        assert.ok(i + 1 <= allowed, `${i + 1} accepted within ${t - times[0]!} ms of the first`)
      })
      const span = (times.at(-1)! - times[0]!) / 1000
      const later = (accepted.length - 40) / span
      assert.ok(later >= 12 && later <= 21, `${later.toFixed(1)}/s accepted after the burst`)

      // C was never limited and always answered
      assert.equal(cResults.length, fromC.length)
      assert.deepEqual(
        cResults.map((r) => r.status),
        fromC.map(() => 'ok')
      )
      assert.equal(incomingCount(b.store, c.peerId), fromC.length)
      assert.ok(
        Math.max(...cResults.map((r) => r.ms)) < 10_000,
        `C waited ${Math.max(...cResults.map((r) => r.ms))} ms`
      )
    } finally {
      flood.closeAll()
      other.closeAll()
    }
  })
})
