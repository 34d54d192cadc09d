/**
 * Issue #3: "A 60-second saturating flood of messages over one connection: the connection is
 * never aborted and other peers keep being served." With libp2p's default connection monitor about
 * half such runs lost their connection 10-17 s in (the monitor's pings starve and it aborts); the
 * node factory keeps the pings but no longer aborts on a missed one.
 *
 * A floods B with fresh sealed envelopes over one stream on one connection for PARLEY_FLOOD_SECONDS
 * (default 60), with B's rate limit raised so nothing holds the flood back, while C sends to B
 * every 250 ms and times each ack.
 */
import assert from 'node:assert/strict'
import { MAX_FRAMES_IN_FLIGHT } from '../../src/constants.ts'
import { directClient, type MessengerFleet, messengerFleet, sealText, sleep } from '../helpers/p2p.ts'

const FLOOD_SECONDS = Number(process.env.PARLEY_FLOOD_SECONDS ?? 60)
const BATCH = 128
/** Batches in flight at once: enough to keep the stream's window of unacked frames full. */
const WORKERS = Math.ceil((2 * MAX_FRAMES_IN_FLIGHT) / BATCH)
const C_EVERY_MS = 250

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

describe(`messenger: a ${FLOOD_SECONDS}-second saturating flood over one connection`, function () {
  this.timeout((FLOOD_SECONDS + 90) * 1000)
  let fleet: MessengerFleet

  before(() => {
    assert.ok(Number.isFinite(FLOOD_SECONDS) && FLOOD_SECONDS > 0, 'PARLEY_FLOOD_SECONDS must be a positive number')
  })
  beforeEach(() => {
    fleet = messengerFleet()
  })
  afterEach(() => fleet.stopAll())

  it('keeps the same connection open (no close events) and keeps acking another peer', async () => {
    const unlimited = { perSecond: 1e6, burst: 1e6 }
    const [a, b, c] = await Promise.all([fleet.start(), fleet.start({ rateLimit: unlimited }), fleet.start()])
    const aNode = a.messenger.node
    const bNode = b.messenger.node
    const closes: string[] = []
    const onClose =
      (side: string, other: string) =>
      (evt: CustomEvent<{ remotePeer: { toString(): string }; id: string }>): void => {
        if (evt.detail.remotePeer.toString() === other) closes.push(`${side}: ${evt.detail.id}`)
      }
    aNode.addEventListener('connection:close', onClose('A', b.peerId))
    bNode.addEventListener('connection:close', onClose('B', a.peerId))

    const flood = directClient(aNode, () => b.addrs())
    const other = directClient(c.messenger.node, () => b.addrs())
    try {
      // open the connections and the streams with a first message each
      assert.equal((await flood.send(b.peerId, [sealText(a.identity, b.identity, 'hello').bytes]))[0]!.status, 'ok')
      assert.equal((await other.send(b.peerId, [sealText(c.identity, b.identity, 'hello').bytes]))[0]!.status, 'ok')
      const conns = aNode.getConnections(bNode.peerId)
      assert.equal(conns.length, 1)
      const connId = conns[0]!.id
      const bSideId = bNode.getConnections(aNode.peerId)[0]!.id

      const deadline = Date.now() + FLOOD_SECONDS * 1000
      let floodOk = 0
      let floodOther = 0
      let seq = 0
      const workers = Array.from({ length: WORKERS }, async () => {
        while (Date.now() < deadline) {
          const batch = Array.from({ length: BATCH }, () => sealText(a.identity, b.identity, `flood ${seq++}`).bytes)
          const acks = await flood.send(b.peerId, batch, { signal: AbortSignal.timeout(60_000) })
          for (const ack of acks) {
            if (ack.status === 'ok') floodOk++
            else floodOther++
          }
        }
      })

      const cLatencies: number[] = []
      const cStatuses: string[] = []
      const cAckTimes: number[] = [Date.now()]
      let cSent = 0
      const cLoop = (async () => {
        while (Date.now() < deadline) {
          const start = performance.now()
          cSent++
          const [ack] = await other.send(b.peerId, [sealText(c.identity, b.identity, `c ${cSent}`).bytes], {
            signal: AbortSignal.timeout(30_000)
          })
          cLatencies.push(performance.now() - start)
          cStatuses.push(ack!.status)
          cAckTimes.push(Date.now())
          await sleep(C_EVERY_MS)
        }
      })()

      const started = Date.now()
      await Promise.all([...workers, cLoop])
      const seconds = (Date.now() - started) / 1000

      const sorted = [...cLatencies].sort((x, y) => x - y)
      const rate = floodOk / seconds
      const gaps = cAckTimes.slice(1).map((t, i) => t - cAckTimes[i]!)
      const maxGap = Math.max(...gaps)
      console.log(
        `      flood: ${floodOk} acked ok in ${seconds.toFixed(1)} s (${rate.toFixed(0)} msg/s), ${floodOther} other; ` +
          `C: ${cStatuses.length} acked, latency p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
          `p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, longest gap between acks ${maxGap} ms`
      )

      // the connection A had at the start is the one it has now, open, and nobody saw a close
      assert.deepEqual(closes, [], `connection closed during the flood: ${closes}`)
      const now = aNode.getConnections(bNode.peerId)
      assert.deepEqual(
        now.map((x) => [x.id, x.status]),
        [[connId, 'open']]
      )
      assert.deepEqual(
        bNode.getConnections(aNode.peerId).map((x) => [x.id, x.status]),
        [[bSideId, 'open']]
      )
      // it really was a flood, every frame was accepted, and B stored each exactly once
      assert.equal(floodOther, 0, `${floodOther} flood frames were not acked ok`)
      assert.ok(rate >= 50, `only ${rate.toFixed(0)} msg/s: the flood did not flow`)
      const fromA = b.store.conversations().find((x) => x.peer === a.peerId)
      assert.equal(fromA?.count, floodOk + 1)
      // C was served all along: every message acked ok, and never a long silence
      assert.equal(cStatuses.length, cSent)
      assert.ok(cSent >= Math.max(1, FLOOD_SECONDS / 5), `C got only ${cSent} acks in ${seconds.toFixed(1)} s`)
      assert.ok(maxGap < 15_000, `C went ${maxGap} ms without an ack`)
      assert.deepEqual(
        cStatuses.filter((s) => s !== 'ok'),
        []
      )
      assert.equal(b.store.conversations().find((x) => x.peer === c.peerId)?.count, cSent + 1)
    } finally {
      flood.closeAll()
      other.closeAll()
    }
  })
})
