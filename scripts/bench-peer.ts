/**
 * The receiving side of the messaging benchmarks, run as a CHILD process (so sender and receiver
 * each get a core, as in notes/baselines.md). Started by scripts/bench-common.ts over IPC; not
 * meant to be run by hand.
 *
 * It runs a real messenger (createMessenger: libp2p on loopback TCP with noise+yamux, SQLite store
 * with synchronous=FULL in a temp folder, the group-commit inbox) with the inbound rate limit raised
 * so the benchmark measures the path, not the limiter. On the same libp2p node it serves two raw
 * protocols for the baselines: a sink for 200-byte length-prefixed frames and an echo. On request
 * it measures the envelope open rate alone, in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import { ContentType, STORE_FILE } from '../src/constants.ts'
import { createProfileRecord } from '../src/directory/index.ts'
import { open, seal } from '../src/envelope/index.ts'
import { createIdentity } from '../src/identity/index.ts'
import { createMessenger } from '../src/messenger/index.ts'
import { createStore } from '../src/store/index.ts'
import {
  BENCH_ECHO_PROTOCOL,
  BENCH_SINK_PROTOCOL,
  type PeerReply,
  type PeerRequest,
  textOf,
  timeStore
} from './bench-common.ts'

const send = (reply: PeerReply): void => {
  process.send!(reply)
}

const dir = mkdtempSync(join(process.env.PARLEY_BENCH_DIR ?? tmpdir(), 'parley-bench-peer-'))
const identity = createIdentity()
const store = createStore({ path: join(dir, STORE_FILE), synchronous: 'full' })
const storeTimes = timeStore(store, ['insertIncoming'])
const messenger = await createMessenger({
  identity,
  store,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  mdns: false,
  allow: ['/ip4/127.0.0.1/ipcidr/32'],
  // the default 20 msg/s per peer (burst 40) would measure the limiter, not the path
  rateLimit: { perSecond: 1_000_000_000, burst: 1_000_000_000 }
})
await messenger.start()

// raw baseline 1: count 200-byte frames until the sender half-closes, then answer with the count
await messenger.node.handle(
  BENCH_SINK_PROTOCOL,
  async (stream: Stream) => {
    let frames = 0
    let bytes = 0
    for await (const frame of lp.decode(stream, { maxDataLength: 1 << 20 })) {
      frames++
      bytes += frame.byteLength
    }
    stream.send(lp.encode.single(new TextEncoder().encode(JSON.stringify({ frames, bytes }))).subarray())
    await stream.close().catch(() => {})
  },
  { maxInboundStreams: 4 }
)
// raw baseline 2: echo each frame (round trips on an open stream)
await messenger.node.handle(
  BENCH_ECHO_PROTOCOL,
  async (stream: Stream) => {
    try {
      for await (const frame of lp.decode(stream, { maxDataLength: 1 << 20 })) {
        if (!stream.send(lp.encode.single(frame.subarray()).subarray())) await stream.onDrain()
      }
      await stream.close()
    } catch {
      stream.abort(new Error('echo failed'))
    }
  },
  { maxInboundStreams: 4 }
)

/** Envelopes opened per second, one core, 200-byte texts from one sender (its key cached, as on a live stream). */
function openRate(seconds: number): { perSecond: number; cpuUsPerOpen: number; envelopeBytes: number } {
  const sender = createIdentity()
  const key = identity.currentEncryptionKey()
  const pool = Array.from(
    { length: 512 },
    (_, i) =>
      seal({
        sender,
        recipient: identity.peerId,
        encryptionKey: key,
        body: new TextEncoder().encode(textOf(i)),
        contentType: ContentType.text
      }).bytes
  )
  // warm-up (JIT, key caches)
  for (let i = 0; i < 300; i++) open(pool[i % pool.length]!, identity)
  let n = 0
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < end) {
    for (let i = 0; i < 64; i++) open(pool[n++ % pool.length]!, identity)
    now = process.hrtime.bigint()
  }
  const elapsed = Number(now - start) / 1e9
  const used = process.cpuUsage(cpu)
  return { perSecond: n / elapsed, cpuUsPerOpen: (used.user + used.system) / n, envelopeBytes: pool[0]!.byteLength }
}

let cpuMark = process.cpuUsage()
let wallMark = process.hrtime.bigint()

process.on('message', (req: PeerRequest) => {
  void (async () => {
    try {
      switch (req.type) {
        case 'open-rate':
          send({ type: 'open-rate', ...openRate(req.seconds) })
          break
        case 'cpu-mark':
          cpuMark = process.cpuUsage()
          wallMark = process.hrtime.bigint()
          send({ type: 'cpu-mark' })
          break
        case 'cpu-read': {
          const cpu = process.cpuUsage(cpuMark)
          const wall = Number(process.hrtime.bigint() - wallMark) / 1e3
          send({ type: 'cpu-read', cpuUs: cpu.user + cpu.system, wallUs: wall })
          break
        }
        case 'stats':
          send({ type: 'stats', inbox: { ...messenger.inbox.stats } })
          break
        case 'store-times':
          send({ type: 'store-times', calls: storeTimes.calls })
          storeTimes.reset()
          break
        case 'stop':
          await messenger.stop()
          store.close()
          rmSync(dir, { recursive: true, force: true })
          send({ type: 'stopped' })
          process.disconnect()
          break
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).stack ?? String(err) })
    }
  })()
})

const issuedAt = Date.now()
const expiresAt = issuedAt + 24 * 60 * 60 * 1000
const addresses = messenger.addresses()
const record = createProfileRecord(
  identity,
  { addresses: messenger.node.getMultiaddrs().map((ma) => ma.toString()) },
  { seq: issuedAt, issuedAt, expiresAt }
)
send({
  type: 'ready',
  peerId: identity.peerId,
  addresses,
  profile: Buffer.from(record).toString('base64'),
  seq: issuedAt,
  expiresAt,
  storeDir: dir
})
