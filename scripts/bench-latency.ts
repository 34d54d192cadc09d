/**
 * Send-to-ack latency on an open connection between two Parley nodes on loopback TCP (noise+yamux),
 * receiver in a child process, one message at a time (send, wait for the ack, next), after warm-up.
 * Issue #3, "Benchmarks" (goal: p50 < 5 ms, p99 < 25 ms on loopback); metric M5 in notes/baselines.md.
 *
 *   node scripts/bench-latency.ts [--messages N] [--api-messages N] [--warmup N] [--dir DIR] [--only raw,pipe,api]
 *
 *   raw   baseline: round trip of a 200-byte length-prefixed frame echoed on an open libp2p stream
 *   pipe  one pre-sealed envelope through createMessageClient until its ack: frame, send, open, commit
 *         (synchronous=FULL: one fsync) and ack. Sealing (~0.1-0.4 ms) is not included
 *   api   `sendText` until the 'message-status' event says `sent`: resolve (cache), seal, outbox commit
 *         (fsync), outbox worker, the receiver as in pipe, then the sender marks it sent (fsync)
 * Both stores use synchronous=FULL in DIR (default: the system temp folder).
 */
import { statfsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import {
  BENCH_ECHO_PROTOCOL,
  benchDir,
  fmt,
  machine,
  type Peer,
  quantile,
  type Sender,
  startPeer,
  startSender,
  TEXT_BYTES,
  textOf
} from './bench-common.ts'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '3000' },
    'api-messages': { type: 'string', default: '1500' },
    warmup: { type: 'string', default: '200' },
    dir: { type: 'string' },
    only: { type: 'string', default: 'raw,pipe,api' }
  }
})
const messages = Number(values.messages)
const apiMessages = Number(values['api-messages'])
const warmup = Number(values.warmup)
const only = new Set(values.only.split(','))

/** Milliseconds since t0 (hrtime). */
const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6

async function raw(sender: Sender, peer: Peer, n: number): Promise<number[]> {
  const stream = await sender.messenger.node.dialProtocol(peerIdFromString(peer.ready.peerId), BENCH_ECHO_PROTOCOL)
  const frame = lp.encode.single(new Uint8Array(TEXT_BYTES).fill(0x61)).subarray()
  const replies = lp.decode(stream)[Symbol.asyncIterator]()
  const out: number[] = []
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint()
    stream.send(frame)
    const r = await replies.next()
    if (r.done === true || r.value.byteLength !== TEXT_BYTES) throw new Error('echo stream ended')
    if (i >= warmup) out.push(since(t0))
  }
  await stream.close()
  return out
}

let counter = 0

/** Forget the store timings of the warm-up, on both sides. */
async function resetStoreTimes(sender: Sender, peer: Peer): Promise<void> {
  sender.storeTimes.reset()
  await peer.request({ type: 'store-times' }, 'store-times')
}

async function storeTimes(sender: Sender, peer: Peer): Promise<string> {
  const rx = (await peer.request({ type: 'store-times' }, 'store-times')).calls
  const parts: string[] = []
  const add = (name: string, xs: number[] | undefined): void => {
    if (xs === undefined || xs.length === 0) return
    parts.push(`${name} ×${xs.length} p50 ${fmt.ms(quantile(xs, 0.5))} p99 ${fmt.ms(quantile(xs, 0.99))}`)
  }
  add('sender enqueueOutgoing', sender.storeTimes.calls.enqueueOutgoing)
  add('sender markSent', sender.storeTimes.calls.markSent)
  add('receiver insertIncoming', rx.insertIncoming)
  return parts.join('; ')
}

async function pipe(sender: Sender, peer: Peer, n: number): Promise<number[]> {
  const envelopes = sender.sealMany(warmup + n, counter)
  counter += warmup + n
  const out: number[] = []
  for (let i = 0; i < envelopes.length; i++) {
    if (i === warmup) await resetStoreTimes(sender, peer)
    const t0 = process.hrtime.bigint()
    const [ack] = await sender.client.send(sender.to, [envelopes[i]!])
    if (ack?.status !== 'ok') throw new Error(`ack ${JSON.stringify(ack)}`)
    if (i >= warmup) out.push(since(t0))
  }
  return out
}

async function api(sender: Sender, peer: Peer, n: number): Promise<number[]> {
  const out: number[] = []
  let waiting: { id: string; resolve(): void } | undefined
  const early = new Set<string>()
  const listener = (evt: CustomEvent<{ id: string; status: string; error?: string }>): void => {
    if (evt.detail.status === 'failed') throw new Error(`message failed: ${evt.detail.error}`)
    if (evt.detail.status !== 'sent') return
    if (waiting?.id === evt.detail.id) waiting.resolve()
    else early.add(evt.detail.id)
  }
  sender.messenger.addEventListener('message-status', listener)
  try {
    for (let i = 0; i < warmup + n; i++) {
      if (i === warmup) await resetStoreTimes(sender, peer)
      const t0 = process.hrtime.bigint()
      const acked = new Promise<string>((resolve) => {
        void sender.messenger.sendText(sender.to, textOf(counter++)).then(({ id }) => {
          // the ack can come before sendText's promise settles: sendText flushes the outbox itself
          if (early.delete(id)) resolve(id)
          else waiting = { id, resolve: () => resolve(id) }
        })
      })
      await acked
      waiting = undefined
      if (i >= warmup) out.push(since(t0))
    }
  } finally {
    sender.messenger.removeEventListener('message-status', listener)
  }
  return out
}

const { dir, cleanup } = benchDir(values.dir)
console.log('send-to-ack latency, one message at a time on an open connection, 200-byte texts')
console.log(`loopback TCP noise+yamux, receiver in a child process; ${machine()}`)
console.log(
  `stores in ${dir} (fs type 0x${statfsSync(dir).type.toString(16)}), synchronous=FULL; ${warmup} warm-up each`
)
const peer = await startPeer(dir)
const sender = await startSender(peer, dir)
const report = (name: string, xs: number[], what: string): void => {
  const q = (p: number): string => fmt.ms(quantile(xs, p)).padStart(9)
  console.log(
    `  ${name.padEnd(5)} n=${String(xs.length).padEnd(5)} p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${q(1)}   ${what}`
  )
}
try {
  const rows: Array<[string, number[], string]> = []
  const breakdown: string[] = []
  if (only.has('raw')) rows.push(['raw', await raw(sender, peer, messages), 'echo of a 200-byte frame (baseline)'])
  if (only.has('pipe')) {
    rows.push(['pipe', await pipe(sender, peer, messages), 'pre-sealed envelope → ack (1 fsync)'])
    breakdown.push(`  pipe: ${await storeTimes(sender, peer)}`)
  }
  if (only.has('api')) {
    rows.push(['api', await api(sender, peer, apiMessages), "sendText → 'sent' event (3 fsyncs)"])
    breakdown.push(`  api: ${await storeTimes(sender, peer)}`)
  }
  for (const [name, xs, what] of rows) report(name, xs, what)
  if (breakdown.length > 0)
    console.log(`time in store commits (synchronous=FULL, each call one transaction):\n${breakdown.join('\n')}`)
  const base = rows.find(([name]) => name === 'raw')?.[1]
  if (base !== undefined) {
    for (const [name, xs] of rows) {
      if (name === 'raw') continue
      console.log(
        `  ${name.padEnd(5)} ÷ raw: p50 ${(quantile(xs, 0.5) / quantile(base, 0.5)).toFixed(1)}×, ` +
          `p99 ${(quantile(xs, 0.99) / quantile(base, 0.99)).toFixed(1)}×`
      )
    }
  }
  console.log('goal (issue #3): send-to-ack p50 < 5 ms, p99 < 25 ms on loopback')
} finally {
  await sender.stop().catch(() => {})
  await peer.stop()
  cleanup()
}
