/**
 * Messages per second between two Parley nodes on loopback TCP (noise+yamux), 200-byte texts,
 * receiver in a child process (its own core). Issue #3, "Benchmarks"; metric M3 in notes/baselines.md.
 *
 *   node scripts/bench-messaging.ts [--rounds R] [--messages N] [--api-messages N] [--raw-frames N]
 *                                   [--open-seconds S] [--dir DIR] [--only raw,open,pipe,outbox,api]
 *
 * Each round measures, side by side on the same connection:
 *   raw     libp2p stream rate: 200-byte length-prefixed frames one way, one send() per frame (the
 *           notes/baselines.md method), until the receiver has counted them all
 *   open    envelope open rate alone, in the receiver process (the crypto limit)
 *   pipe    FULL PATH, receive side: envelopes sealed beforehand, pipelined through createMessageClient
 *           into the receiver's messenger (frame, send, open, dedup, group commit with synchronous=FULL, ack)
 *   outbox  FULL PATH with the durable outbox: seal, commit to the sender's outbox in groups of up to
 *           256 (what sendText would do with a group commit), outbox worker sends, receiver as above,
 *           acks marked sent (one more commit per batch)
 *   api     FULL PATH through the public API: `sendText` in a loop (each resolves the recipient profile
 *           from cache, seals, and commits to the outbox on its own, fsynced) until every message is acked
 * and prints each as messages/s with `ratio full/open` and `ratio full/raw` per full-path variant.
 * Both stores use synchronous=FULL in DIR (default: the system temp folder; put it on a real disk).
 * The receiver's inbound rate limit (20 msg/s per peer by default) is raised via the messenger's
 * `rateLimit` option, or this would measure the limiter.
 */
import { statfsSync } from 'node:fs'
import { setImmediate as yieldTurn } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import {
  BENCH_SINK_PROTOCOL,
  benchDir,
  fmt,
  machine,
  median,
  type Peer,
  type Sender,
  startPeer,
  startSender,
  TEXT_BYTES,
  textOf
} from './bench-common.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    messages: { type: 'string', default: '6000' },
    'api-messages': { type: 'string', default: '800' },
    'raw-frames': { type: 'string', default: '40000' },
    'open-seconds': { type: 'string', default: '1.5' },
    window: { type: 'string', default: '1024' },
    dir: { type: 'string' },
    only: { type: 'string', default: 'raw,open,pipe,outbox,api' }
  }
})
const rounds = Number(values.rounds)
const messages = Number(values.messages)
const apiMessages = Number(values['api-messages'])
const rawFrames = Number(values['raw-frames'])
const openSeconds = Number(values['open-seconds'])
const window = Number(values.window)
const only = new Set(values.only.split(','))

interface Figure {
  perSecond: number
  /** CPU time per message in the receiver and in the sender (µs), robust to a noisy machine. */
  rxCpuUs?: number
  txCpuUs?: number
  note?: string
}

async function withCpu(peer: Peer, n: number, fn: () => Promise<number>): Promise<Figure> {
  await peer.request({ type: 'cpu-mark' }, 'cpu-mark')
  const mine = process.cpuUsage()
  const perSecond = await fn()
  const used = process.cpuUsage(mine)
  const receiver = await peer.request({ type: 'cpu-read' }, 'cpu-read')
  return { perSecond, rxCpuUs: receiver.cpuUs / n, txCpuUs: (used.user + used.system) / n }
}

/** Raw libp2p stream: 200-byte frames one way, one send() per frame, wait for the receiver's count. */
async function raw(sender: Sender, peer: Peer, n: number): Promise<Figure> {
  const payload = new Uint8Array(TEXT_BYTES).fill(0x61)
  const frame = lp.encode.single(payload).subarray()
  return withCpu(peer, n, async () => {
    const t0 = process.hrtime.bigint()
    const stream = await sender.messenger.node.dialProtocol(peerIdFromString(peer.ready.peerId), BENCH_SINK_PROTOCOL)
    for (let i = 0; i < n; i++) {
      if (!stream.send(frame)) await stream.onDrain({ signal: AbortSignal.timeout(30_000) })
    }
    await stream.close()
    let reply: { frames: number } | undefined
    for await (const chunk of lp.decode(stream)) reply = JSON.parse(new TextDecoder().decode(chunk.subarray()))
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    if (reply?.frames !== n) throw new Error(`receiver counted ${reply?.frames} of ${n} frames`)
    return n / s
  })
}

let counter = 0

/** Pre-sealed envelopes through a message client into the receiver's messenger. */
async function pipe(sender: Sender, peer: Peer, n: number): Promise<Figure> {
  const envelopes = sender.sealMany(n, counter)
  counter += n
  return withCpu(peer, n, async () => {
    const t0 = process.hrtime.bigint()
    const acks = await sender.client.send(sender.to, envelopes)
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    const bad = acks.filter((a) => a.status !== 'ok')
    if (bad.length > 0) throw new Error(`${bad.length} acks not ok, e.g. ${JSON.stringify(bad[0])}`)
    return n / s
  })
}

/** Count 'sent' events for our ids; wait until at most `limit` of them are unacked. */
function tracker(sender: Sender) {
  const pending = new Set<string>()
  let wake: (() => void) | undefined
  let waitFor = 0
  const listener = (evt: CustomEvent<{ id: string; status: string; error?: string }>): void => {
    if (evt.detail.status === 'failed') throw new Error(`message failed: ${evt.detail.error}`)
    if (evt.detail.status !== 'sent') return
    pending.delete(evt.detail.id)
    if (wake !== undefined && pending.size <= waitFor) {
      const w = wake
      wake = undefined
      w()
    }
  }
  sender.messenger.addEventListener('message-status', listener)
  return {
    pending,
    until(limit: number): Promise<void> {
      if (pending.size <= limit) return Promise.resolve()
      waitFor = limit
      return new Promise((resolve) => {
        wake = resolve
      })
    },
    done() {
      sender.messenger.removeEventListener('message-status', listener)
    }
  }
}

/** Seal, commit to the outbox in groups, let the outbox worker deliver; until every message is acked. */
async function outbox(sender: Sender, peer: Peer, n: number): Promise<Figure> {
  const t = tracker(sender)
  try {
    return await withCpu(peer, n, async () => {
      const t0 = process.hrtime.bigint()
      let made = 0
      while (made < n) {
        await t.until(window - 1)
        const k = Math.min(256, n - made, window - t.pending.size)
        const rows = Array.from({ length: k }, () => sender.sealOutgoing(counter++))
        for (const r of rows) t.pending.add(r.id)
        sender.store.enqueueOutgoing(rows)
        made += k
        sender.messenger.outbox.flushPeer(sender.to)
        await yieldTurn()
      }
      await t.until(0)
      return n / (Number(process.hrtime.bigint() - t0) / 1e9)
    })
  } finally {
    t.done()
  }
}

/** The public API: sendText in a loop (at most `window` unacked), until every message is acked. */
async function api(sender: Sender, peer: Peer, n: number): Promise<Figure> {
  const t = tracker(sender)
  try {
    return await withCpu(peer, n, async () => {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++) {
        await t.until(window - 1)
        const { id } = await sender.messenger.sendText(sender.to, textOf(counter++))
        t.pending.add(id)
        // sendText returns once committed; give the outbox worker and the socket a turn
        await yieldTurn()
      }
      await t.until(0)
      return n / (Number(process.hrtime.bigint() - t0) / 1e9)
    })
  } finally {
    t.done()
  }
}

const { dir, cleanup } = benchDir(values.dir)
const fs = statfsSync(dir)
console.log('messaging throughput, 200-byte texts, loopback TCP noise+yamux, receiver in a child process')
console.log(`${machine()}; stores in ${dir} (fs type 0x${fs.type.toString(16)}), synchronous=FULL`)
console.log('receiver rate limit raised to 1e9/s (default 20/s, burst 40) via createMessenger({ rateLimit })')
console.log('rx/tx = CPU µs per message in the receiver / sender; raw and open are measured before and after')
console.log('the full-path runs of each round and their mean is the reference for that round')

const peer = await startPeer(dir)
const sender = await startSender(peer, dir)
const FULL = ['pipe', 'outbox', 'api'] as const
const results: Record<string, Figure[]> = { raw: [], open: [], pipe: [], outbox: [], api: [] }
const refs: Array<{ raw?: number; open?: number; openCpuUs?: number }> = []

const cpuText = (f: Figure): string =>
  f.rxCpuUs === undefined
    ? ''
    : `rx ${f.rxCpuUs.toFixed(0).padStart(4)} µs  tx ${f.txCpuUs === undefined ? '-' : f.txCpuUs.toFixed(0).padStart(4)} µs`
const line = (name: string, f: Figure, extra = ''): string =>
  `  ${name.padEnd(7)} ${fmt.rate(f.perSecond).padStart(10)}   ${cpuText(f)}${f.note !== undefined ? `   ${f.note}` : ''}${extra}`
const mean = (xs: Array<number | undefined>): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined)
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length
}

async function reference(): Promise<void> {
  if (only.has('raw')) {
    const f = await raw(sender, peer, rawFrames)
    results.raw!.push(f)
    console.log(line('raw', f))
  }
  if (only.has('open')) {
    const o = await peer.request({ type: 'open-rate', seconds: openSeconds }, 'open-rate')
    const f: Figure = { perSecond: o.perSecond, rxCpuUs: o.cpuUsPerOpen, note: `(${o.envelopeBytes}-byte envelopes)` }
    results.open!.push(f)
    console.log(line('open', f))
  }
}

try {
  // warm-up: JIT, streams, key caches, SQLite pages
  await pipe(sender, peer, 500)
  await raw(sender, peer, 2000)
  for (let r = 1; r <= rounds; r++) {
    console.log(`round ${r}/${rounds}`)
    const rawBefore = results.raw!.length
    const openBefore = results.open!.length
    await reference()
    const lines: string[] = []
    const full: Array<[string, Figure]> = []
    for (const [name, fn, n] of [
      ['pipe', pipe, messages],
      ['outbox', outbox, messages],
      ['api', api, apiMessages]
    ] as const) {
      if (!only.has(name)) continue
      const f = await fn(sender, peer, n)
      results[name]!.push(f)
      full.push([name, f])
      console.log(line(name, f))
    }
    if (full.length > 0) await reference()
    const ref = {
      raw: mean(results.raw!.slice(rawBefore).map((f) => f.perSecond)),
      open: mean(results.open!.slice(openBefore).map((f) => f.perSecond)),
      openCpuUs: mean(results.open!.slice(openBefore).map((f) => f.rxCpuUs))
    }
    refs.push(ref)
    for (const [name, f] of full) lines.push(`  ${name.padEnd(7)} ${ratios(f, ref)}`)
    if (lines.length > 0)
      console.log(
        `  reference: raw ${ref.raw === undefined ? '-' : fmt.rate(ref.raw)}, open ${ref.open === undefined ? '-' : fmt.rate(ref.open)}\n${lines.join('\n')}`
      )
  }

  const stats = await peer.request({ type: 'stats' }, 'stats')
  console.log(
    `receiver inbox: ${stats.inbox.received} stored, ${stats.inbox.duplicates} duplicates, ` +
      `${stats.inbox.refused} refused, ${stats.inbox.commits} commits ` +
      `(${(stats.inbox.received / Math.max(1, stats.inbox.commits)).toFixed(1)} messages per commit)`
  )
  console.log(`median of ${rounds} rounds (ratios: median of the per-round ratios)`)
  const med = (xs: Array<number | undefined>): number => median(xs.filter((x): x is number => x !== undefined))
  for (const name of ['raw', 'open']) {
    const list = results[name]!
    if (list.length > 0)
      console.log(
        line(name, {
          perSecond: med(list.map((f) => f.perSecond)),
          rxCpuUs: med(list.map((f) => f.rxCpuUs)),
          ...(name === 'raw' ? { txCpuUs: med(list.map((f) => f.txCpuUs)) } : {})
        })
      )
  }
  for (const name of FULL) {
    const list = results[name]!
    if (list.length === 0) continue
    const f: Figure = {
      perSecond: med(list.map((x) => x.perSecond)),
      rxCpuUs: med(list.map((x) => x.rxCpuUs)),
      txCpuUs: med(list.map((x) => x.txCpuUs))
    }
    const perRound = (get: (x: Figure, i: number) => number | undefined): number => med(list.map(get))
    const open = perRound((x, i) => (refs[i]?.open === undefined ? undefined : x.perSecond / refs[i].open))
    const rawR = perRound((x, i) => (refs[i]?.raw === undefined ? undefined : x.perSecond / refs[i].raw))
    const share = perRound((x, i) =>
      refs[i]?.openCpuUs === undefined || x.rxCpuUs === undefined ? undefined : refs[i].openCpuUs / x.rxCpuUs
    )
    console.log(
      `${line(name, f)}   ratio full/open ${fmt.ratio(open)}  ratio full/raw ${fmt.ratio(rawR)}  (open = ${Number.isFinite(share) ? Math.round(share * 100) : '-'}% of rx CPU)`
    )
  }
  console.log('goal (issue #3): full path >= 0.6 x envelope open rate')
} finally {
  await sender.stop().catch(() => {})
  await peer.stop()
  cleanup()
}

function ratios(f: Figure, ref: { raw?: number; open?: number; openCpuUs?: number }): string {
  const parts: string[] = []
  if (ref.open !== undefined) parts.push(`ratio full/open ${fmt.ratio(f.perSecond / ref.open)}`)
  if (ref.raw !== undefined) parts.push(`ratio full/raw ${fmt.ratio(f.perSecond / ref.raw)}`)
  if (ref.openCpuUs !== undefined && f.rxCpuUs !== undefined)
    parts.push(`(open = ${Math.round((100 * ref.openCpuUs) / f.rxCpuUs)}% of rx CPU)`)
  return parts.join('  ')
}
