/**
 * How many incoming messages per second the store commits, for group-commit batches of 1, 10 and
 * 100, with synchronous=FULL (what a node runs: every commit fsynced before the ack) and, for
 * comparison only, NORMAL. Tells the network layer what batching envelopes that arrived together
 * buys. Each message carries a 200-byte text, like the network benchmark.
 *
 *   node scripts/bench-store.ts [--seconds S] [--dir DIR]
 *
 * DIR defaults to the system temp folder: put it on the disk the node's home lives on.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ContentType } from '../src/constants.ts'
import { peerIdFromPublicKey } from '../src/identity/index.ts'
import { createStore, type IncomingMessage, type SyncMode } from '../src/store/index.ts'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, dir: { type: 'string' } }
})
const seconds = Number(values.seconds)
if (!(seconds > 0)) throw new Error('--seconds must be a positive number')

const me = peerIdFromPublicKey(randomBytes(32))
const senders = Array.from({ length: 8 }, () => peerIdFromPublicKey(randomBytes(32)))
let clock = Date.now()

function message(): IncomingMessage {
  const text = randomBytes(150).toString('base64') // 200 characters
  return {
    id: randomBytes(16),
    from: senders[clock % senders.length]!,
    to: me,
    contentType: ContentType.text,
    body: new TextEncoder().encode(text),
    text,
    createdAt: clock++,
    receivedAt: clock
  }
}

interface Result {
  synchronous: SyncMode
  batch: number
  messages: number
  perSecond: number
  commitP50Ms: number
  commitP99Ms: number
}

function run(synchronous: SyncMode, batch: number): Result {
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'parley-bench-store-'))
  const store = createStore({ path: join(dir, 'parley.db'), synchronous })
  try {
    // warm up: create the pages and the WAL before timing
    for (let i = 0; i < 20; i++) store.insertIncoming(Array.from({ length: batch }, message))
    const latencies: number[] = []
    let messages = 0
    const start = process.hrtime.bigint()
    const end = start + BigInt(Math.round(seconds * 1e9))
    let now = start
    while (now < end) {
      const msgs = Array.from({ length: batch }, message)
      const t0 = process.hrtime.bigint()
      store.insertIncoming(msgs)
      now = process.hrtime.bigint()
      latencies.push(Number(now - t0) / 1e6)
      messages += batch
    }
    const elapsed = Number(now - start) / 1e9
    latencies.sort((a, b) => a - b)
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
    return {
      synchronous,
      batch,
      messages,
      perSecond: messages / elapsed,
      commitP50Ms: at(0.5),
      commitP99Ms: at(0.99)
    }
  } finally {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`store commit rate, incoming messages with 200-byte texts, ${seconds} s per row (node ${process.version})`)
console.log('synchronous  batch   messages/s   commits/s   commit p50   commit p99')
const results: Result[] = []
for (const mode of ['full', 'normal'] as const) {
  for (const batch of [1, 10, 100]) {
    const r = run(mode, batch)
    results.push(r)
    console.log(
      `${mode.toUpperCase().padEnd(11)}  ${String(batch).padStart(5)}  ${r.perSecond.toFixed(0).padStart(11)}  ` +
        `${(r.perSecond / batch).toFixed(0).padStart(10)}  ${r.commitP50Ms.toFixed(2).padStart(8)} ms  ` +
        `${r.commitP99Ms.toFixed(2).padStart(8)} ms`
    )
  }
}
const full = (batch: number): number => results.find((r) => r.synchronous === 'full' && r.batch === batch)!.perSecond
console.log(
  `group commit with FULL: batch 10 = ${(full(10) / full(1)).toFixed(1)}x batch 1, batch 100 = ${(full(100) / full(1)).toFixed(1)}x`
)
