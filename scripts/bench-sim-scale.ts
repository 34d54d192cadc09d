/**
 * How far the REAL messenger scales in one process (issue #5, "Scale"): N messengers (identity,
 * SQLite store, libp2p with Noise + Yamux + Kad-DHT, directory, inbox, outbox) on the memory
 * transport, bootstrapped through a few seed nodes, no all-to-all dialing.
 *
 *   npm run bench:sim-scale -- <N> [options]
 *
 *   --preset sim|lean     sim = simulationNodeOptions() (src/sim/node-preset.ts); lean = only
 *                         `lean: true` on the memory transport (the starting point)      [sim]
 *   --seeds S             seed nodes every joining node bootstraps through                 [4]
 *   --batch B             nodes started per batch                                          [50]
 *   --join-wait SEC       the next batch starts once every node of this one has published
 *                         its profile (a put some DHT server acked), or after SEC         [60]
 *   --calm MS             ...and the event loop's median delay is below MS (up to 10 s)  [30]
 *   --lookups L           fresh directory lookups of random peers' profiles               [200]
 *   --lookup-concurrency  lookups in flight at once                                        [1]
 *   --messages M          sendText to M random pairs that never talked (cold), then, once
 *                         every cold send is done, once more to each pair (warm)          [300]
 *   --message-concurrency messages in flight at once                                       [4]
 *   --form-timeout SEC    give up waiting for the network to form                          [300]
 *   --transport memory|tcp                                                                 [memory]
 *   --seed X              identities derive from X                                         [1]
 *   --set path=value      override one preset field (repeatable), e.g. --set dht.alpha=3
 *                         --set limits.maxConnections=32 --set lookup.quorum=1
 *   --json                print the result as JSON only
 *
 * Phases and what is measured:
 *  1. form: start the seeds (connected to each other), then the other nodes in batches, each given
 *     two random seeds as bootstrap. The network is "routable" once every node's signed profile is
 *     held by at least one OTHER node's DHT record store (read from the in-process datastores) AND a
 *     probe of 20 fresh lookups of random profiles from random nodes all succeed. Time to form runs
 *     from the first node's start to that point.
 *  2. lookups: `messenger.resolve(peer, { fresh: true })`, i.e. directory.resolve past every cache:
 *     the real kad-dht GET with the directory's record checks. Success = a verified profile came back.
 *     A failed one prints who looked for whom, which nodes hold the record now, and the asker's
 *     routing-table size and connections.
 *  3. messages: `sendText(a -> b)` until `message-received` fires on b (the real path: resolve b's
 *     profile, seal, commit to the outbox, dial, /parley/msg/1.0.0, open, commit on b, ack). Cold =
 *     first message between the pair (includes the lookup and the dial); warm = the second one,
 *     sent once all cold ones are done. For each cold one, whether the sender already had the
 *     recipient's addresses (or a connection to it) before sending, and the two groups' latency.
 *  4. memory: RSS of the process after a GC, minus nothing (the empty process is ~50-100 MB), per node.
 *     Also what the nodes' datastores (peer store, DHT records) and routing tables hold, and the MB
 *     of the buffers behind their bytes: a value that is a view into a larger buffer keeps all of it.
 * CPU time (user+sys of this process) is printed next to wall time: the machine is shared, so the
 * CPU seconds are the steadier figure.
 *
 * Investigation hooks (environment): BENCH_TRACE=MS prints, every MS, who opened connections and
 * how many DHT requests of each kind were sent and failed; BENCH_TRACE_DEPTH=K keeps K stack frames
 * per dial; BENCH_PROFILE_IDLE=FILE and BENCH_PROFILE_LOOKUPS=FILE write CPU profiles of 20 idle
 * seconds after formation and of the lookup phase; BENCH_HEAP_SNAPSHOT=FILE writes a heap snapshot at
 * the end (what keeps memory alive).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { profileKey } from '../src/directory/index.ts'
import { createIdentity } from '../src/identity/index.ts'
import { createMessenger, type Messenger, type MessengerInit } from '../src/messenger/index.ts'
import { distanceFraction, type GuardedDatastore, kadId } from '../src/net/index.ts'
import { cpuSeconds } from '../src/sim/handle.ts'
import { distribution } from '../src/sim/metrics.ts'
import {
  seedNodeOptions,
  simulationNodeOptions,
  simulationStoreOptions,
  tuneSimulationProcess
} from '../src/sim/node-preset.ts'
import { derive, deriveBytes, type Rng } from '../src/sim/rng.ts'
import { createStore, type Store } from '../src/store/index.ts'
import { machine } from './bench-common.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string', default: 'sim' },
    seeds: { type: 'string', default: '4' },
    batch: { type: 'string', default: '50' },
    lookups: { type: 'string', default: '200' },
    'lookup-concurrency': { type: 'string', default: '1' },
    messages: { type: 'string', default: '300' },
    'message-concurrency': { type: 'string', default: '4' },
    'form-timeout': { type: 'string', default: '300' },
    'join-wait': { type: 'string', default: '60' },
    calm: { type: 'string', default: '30' },
    transport: { type: 'string', default: 'memory' },
    seed: { type: 'string', default: '1' },
    set: { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean', default: false }
  }
})

const N = Number(positionals[0] ?? '200')
const SEEDS = Math.min(N, Number(values.seeds))
const BATCH = Number(values.batch)
const LOOKUPS = Number(values.lookups)
const LOOKUP_CONCURRENCY = Number(values['lookup-concurrency'])
const MESSAGES = Number(values.messages)
const MESSAGE_CONCURRENCY = Number(values['message-concurrency'])
const FORM_TIMEOUT_MS = Number(values['form-timeout']) * 1000
const JOIN_WAIT_MS = Number(values['join-wait']) * 1000
const CALM_MS = Number(values.calm)
const TRANSPORT: 'tcp' | 'memory' = values.transport === 'tcp' ? 'tcp' : 'memory'
const PRESET = values.preset
// the simulator's process setting (src/sim/node-preset.ts); --preset lean is the starting point without it
if (PRESET !== 'lean') tuneSimulationProcess()
const JSON_ONLY = values.json
const RUN_SEED = values.seed

const say = (...args: unknown[]): void => {
  if (!JSON_ONLY) console.log(...args)
}

// --- small helpers -------------------------------------------------------------------------------

/** A seeded stream per purpose (the simulator's own derivation), so runs with one seed repeat. */
const rngFrom = (label: string): Rng => derive(`bench-sim-scale/${RUN_SEED}`, label)
const seedOf = (i: number): Uint8Array => deriveBytes(`bench-sim-scale/${RUN_SEED}`, `node/${i}`)

/** The simulator's distribution, with the sample count. */
function summary(samples: number[]): ReturnType<typeof distribution> & { n: number } {
  return { ...distribution(samples), n: samples.length }
}
const rssMB = (): number => process.memoryUsage.rss() / 2 ** 20
const heapMB = (): number => process.memoryUsage().heapUsed / 2 ** 20
/** Where the RSS sits: V8's heap (reserved and used), memory V8 tracks outside it (external, of which ArrayBuffers). */
function memoryBreakdown(): { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number } {
  const m = process.memoryUsage()
  const mb = (x: number): number => Math.round(x / 2 ** 20)
  return {
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers)
  }
}

/** Run `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        await fn(items[i]!, i)
      }
    })
  )
}

// --- the network ---------------------------------------------------------------------------------

interface SimNode {
  i: number
  messenger: Messenger
  store: Store
  peerId: string
}

const dir = mkdtempSync(join('/dev/shm', 'parley-bench-sim-'))
const runId = `${process.pid}-${Date.now().toString(36)}`
const nodes: SimNode[] = []

function nodeInit(i: number, bootstrap: string[]): Omit<MessengerInit, 'identity' | 'store'> {
  const listen = TRANSPORT === 'memory' ? [`/memory/bench-sim-${runId}-${i}`] : ['/ip4/127.0.0.1/tcp/0']
  if (PRESET === 'lean') {
    return { transport: TRANSPORT, listen, mdns: false, lean: true, bootstrap, allow: ['/ip4/127.0.0.1/ipcidr/32'] }
  }
  const preset = { ...simulationNodeOptions(), transport: TRANSPORT }
  for (const [path, value] of OVERRIDES) setPath(preset as Record<string, unknown>, path, value)
  // the seeds are every joiner's first contact: the simulator lifts their connection limit too
  const options = i < SEEDS ? seedNodeOptions(preset) : preset
  // on TCP every node dials from 127.0.0.1, which the per-IP inbound limit would take for a flood (as parley sim does)
  const allow = TRANSPORT === 'tcp' ? { allow: ['/ip4/127.0.0.1/ipcidr/32'] } : {}
  return { ...options, ...allow, listen, bootstrap }
}

/** `--set a.b=value`: numbers, true/false and JSON are parsed, anything else stays a string. */
const OVERRIDES: Array<[string, unknown]> = (values.set as string[]).map((kv) => {
  const at = kv.indexOf('=')
  const raw = kv.slice(at + 1)
  let value: unknown = raw
  try {
    value = JSON.parse(raw)
  } catch {
    // a plain string
  }
  return [kv.slice(0, at), value]
})
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let o = target
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {}
    o = o[p] as Record<string, unknown>
  }
  o[parts.at(-1)!] = value
}

async function startNode(i: number, bootstrap: string[]): Promise<SimNode> {
  const identity = createIdentity({ seed: seedOf(i) })
  const store = createStore({
    path: join(dir, `node-${i}.db`),
    ...(PRESET === 'lean' ? { synchronous: 'normal' as const } : simulationStoreOptions())
  })
  const messenger = await createMessenger({ identity, store, ...nodeInit(i, bootstrap) })
  if (process.env.BENCH_TRACE !== undefined) traceNode(messenger)
  await messenger.start()
  return { i, messenger, store, peerId: identity.peerId }
}

const trace: Record<string, number> = {}
function traceNode(m: Messenger): void {
  const inc = (k: string): void => {
    trace[k] = (trace[k] ?? 0) + 1
  }
  // biome-ignore lint/suspicious/noExplicitAny: debugging hook
  const cm = (m.node as any).components.connectionManager
  const open = cm.openConnection.bind(cm)
  cm.openConnection = (peer: unknown, options?: unknown) => {
    const connected = m.node.getConnections(peer as never).length > 0
    if (!connected) {
      const frames = (new Error().stack ?? '').split('\n').slice(2)
      const rest = frames.filter(
        (f) =>
          !f.includes('connection-manager') && !f.includes('libp2p/dist/src/libp2p.js') && !f.includes('node:internal')
      )
      const who = rest.slice(0, Number(process.env.BENCH_TRACE_DEPTH ?? 1)).join(' < ') || '?'
      inc(
        `dial ${who
          .replace(/\s+at /g, ' ')
          .replace(/file:\/\/\S*node_modules\//g, '')
          .slice(0, 400)}`
      )
    }
    return open(peer, options)
  }
  // biome-ignore lint/suspicious/noExplicitAny: debugging hook
  const net = (m.node.services.dht as any).network
  for (const fn of ['sendRequest', 'sendMessage']) {
    const orig = net[fn].bind(net)
    net[fn] = async function* (to: unknown, msg: { type: string }, options: unknown) {
      inc(`kad ${fn} ${msg.type}`)
      try {
        for await (const ev of orig(to, msg, options)) {
          if (ev.name === 'QUERY_ERROR') inc(`kad ${fn} ${msg.type} error ${String(ev.error?.name)}`)
          yield ev
        }
      } catch (err) {
        inc(`kad ${fn} ${msg.type} threw ${(err as Error).name}`)
        throw err
      }
    }
  }
  m.node.addEventListener('connection:close', () => inc('connection:close'))
  m.node.addEventListener('connection:open', () => inc('connection:open'))
}
if (process.env.BENCH_TRACE !== undefined) {
  setInterval(() => {
    console.log(JSON.stringify(trace, null, 1))
    for (const k of Object.keys(trace)) delete trace[k]
  }, Number(process.env.BENCH_TRACE)).unref()
}

/** The DHT record store inside a messenger's libp2p node (not public: read for measurement only). */
function datastoreOf(m: Messenger): GuardedDatastore {
  return (m.node as unknown as { components: { datastore: GuardedDatastore } }).components.datastore
}

/** How many OTHER nodes hold each node's profile record. */
async function replicaCounts(): Promise<number[]> {
  const keys = nodes.map((n) => profileKey(n.peerId))
  const counts = new Array<number>(nodes.length).fill(0)
  for (const holder of nodes) {
    const ds = datastoreOf(holder.messenger)
    for (let j = 0; j < nodes.length; j++) {
      if (j === holder.i) continue
      if ((await ds.getRecord(keys[j]!)) !== undefined) counts[j]!++
    }
  }
  return counts
}

/**
 * Where each profile record sits against where a lookup looks: of the K nodes closest (XOR, over
 * every node in the run) to a record's key, how many hold it. A lookup converges on those nodes,
 * so a record none of them holds is found only by luck. Records are listed in join order, so the
 * first batches' figures show whether early records were left behind as the network grew.
 */
async function placement(k = 20): Promise<{ held: number[]; byBatch: number[] }> {
  const positions = nodes.map((n) => kadId(peerIdFromString(n.peerId).toMultihash().bytes))
  const held: number[] = []
  for (const owner of nodes) {
    const key = profileKey(owner.peerId)
    const at = kadId(key)
    const closest = nodes
      .map((n, i) => ({ n, d: distanceFraction(positions[i]!, at) }))
      .filter((x) => x.n !== owner)
      .sort((a, b) => a.d - b.d)
      .slice(0, k)
    let count = 0
    for (const { n } of closest) if ((await datastoreOf(n.messenger).getRecord(key)) !== undefined) count++
    held.push(count)
  }
  const byBatch: number[] = []
  for (let b = 0; b * BATCH < held.length; b++) {
    const slice = held.slice(b * BATCH, (b + 1) * BATCH)
    byBatch.push(Math.round((slice.reduce((s, x) => s + x, 0) / slice.length) * 10) / 10)
  }
  return { held, byBatch }
}

function connectionStats(): { mean: number; max: number; total: number } {
  let total = 0
  let max = 0
  for (const n of nodes) {
    const c = n.messenger.node.getConnections().length
    total += c
    max = Math.max(max, c)
  }
  return { mean: Math.round((total / nodes.length) * 10) / 10, max, total }
}

/** Bytes in MB, to a tenth. */
const tenthsMB = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10

/** MB of the distinct ArrayBuffers in `buffers`, to a tenth. */
function buffersMB(buffers: Set<ArrayBufferLike>): number {
  let bytes = 0
  for (const b of buffers) bytes += b.byteLength
  return tenthsMB(bytes)
}

/**
 * What the nodes' libp2p datastores hold, by key prefix (peer store, DHT records, ...): entries,
 * the bytes of the values, and the bytes of the distinct ArrayBuffers behind them (a value that is
 * a slice of a larger buffer keeps all of it alive).
 */
async function datastoreStats(): Promise<Record<string, { entries: number; valueMB: number; bufferMB: number }>> {
  const by: Record<string, { entries: number; value: number; buffers: Set<ArrayBufferLike> }> = {}
  for (const n of nodes) {
    for await (const { key, value } of datastoreOf(n.messenger).query({})) {
      const prefix = `/${key.toString().split('/')[1] ?? ''}`
      const e = by[prefix] ?? { entries: 0, value: 0, buffers: new Set() }
      by[prefix] = e
      e.entries++
      e.value += value.byteLength
      e.buffers.add(value.buffer)
    }
  }
  return Object.fromEntries(
    Object.entries(by).map(([k, e]) => [
      k,
      { entries: e.entries, valueMB: tenthsMB(e.value), bufferMB: buffersMB(e.buffers) }
    ])
  )
}

/** The distinct ArrayBuffers behind the typed arrays reachable from `root` (own fields, a few levels deep). */
function collectBuffers(root: unknown, into: Set<ArrayBufferLike>, depth = 4, seen = new Set<object>()): void {
  if (root === null || typeof root !== 'object' || seen.has(root)) return
  seen.add(root)
  if (ArrayBuffer.isView(root)) {
    into.add(root.buffer)
    return
  }
  if (depth === 0) return
  for (const value of Object.values(root)) collectBuffers(value, into, depth - 1, seen)
}

/** kad-dht routing-table contacts (PeerId, kadId) and the MB of the buffers behind their bytes. */
function routingTableBuffers(): { contacts: number; bufferMB: number; peerIdMB: number } {
  const buffers = new Set<ArrayBufferLike>()
  const ofIds = new Set<ArrayBufferLike>()
  let contacts = 0
  for (const n of nodes) {
    // biome-ignore lint/suspicious/noExplicitAny: investigation hook into kad-dht's k-bucket
    const kb = (n.messenger.node.services.dht as any).routingTable.kb
    for (const contact of kb.toIterable()) {
      contacts++
      collectBuffers(contact, buffers)
      collectBuffers(contact.peerId, ofIds)
    }
  }
  return { contacts, bufferMB: buffersMB(buffers), peerIdMB: buffersMB(ofIds) }
}

/** Peers in a node's kad-dht routing table. */
function tableSize(n: SimNode): number {
  return (n.messenger.node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

function routingTableStats(): { mean: number; min: number } {
  let total = 0
  let min = Number.POSITIVE_INFINITY
  for (const n of nodes) {
    const size = tableSize(n)
    total += size
    min = Math.min(min, size)
  }
  return { mean: Math.round((total / nodes.length) * 10) / 10, min }
}

/** One found lookup: its wall time, and when its first valid record came (the rest is the settle wait). */
interface Looked {
  ms: number
  firstRecordMs: number | undefined
}

/** Fresh lookups of random peers' profiles from random nodes; undefined = not found. */
async function lookups(count: number, concurrency: number, label: string): Promise<Array<Looked | undefined>> {
  const rand = rngFrom(label)
  const pairs = Array.from({ length: count }, () => {
    const a = rand.int(nodes.length)
    let b = rand.int(nodes.length - 1)
    if (b >= a) b++
    return [nodes[a]!, nodes[b]!] as const
  })
  const out: Array<Looked | undefined> = new Array(count)
  await pool(pairs, concurrency, async ([a, b], i) => {
    const t0 = performance.now()
    let firstRecordMs: number | undefined
    const p = await a.messenger
      .resolve(b.peerId, {
        fresh: true,
        signal: AbortSignal.timeout(30_000),
        onLookup: (stats) => {
          firstRecordMs = stats.firstRecordMs
        }
      })
      .catch(() => undefined)
    out[i] = p !== undefined && p.peerId === b.peerId ? { ms: performance.now() - t0, firstRecordMs } : undefined
    if (out[i] === undefined) await reportFailedLookup(a, b, performance.now() - t0)
  })
  return out
}

/** The other nodes that hold b's profile record in their datastore now. */
async function profileHolders(b: SimNode): Promise<number[]> {
  const key = profileKey(b.peerId)
  const holders: number[] = []
  for (const n of nodes) if (n !== b && (await datastoreOf(n.messenger).getRecord(key)) !== undefined) holders.push(n.i)
  return holders
}

/** What a failed lookup's next investigation needs: who asked for whom, and who holds the record now. */
async function reportFailedLookup(a: SimNode, b: SimNode, ms: number): Promise<void> {
  const holders = await profileHolders(b)
  say(
    `  lookup failed: node ${a.i} for node ${b.i} after ${Math.round(ms)} ms; ${holders.length} nodes hold ` +
      `its profile (${holders.slice(0, 8).join(', ')}${holders.length > 8 ? ', …' : ''}); node ${a.i} has ` +
      `${tableSize(a)} peers in its routing table and ${a.messenger.node.getConnections().length} connections`
  )
}

/** Why a message did not arrive in time: where it stands in a's outbox, and what a knows of b. */
async function sayUndelivered(a: SimNode, b: SimNode, id: string, text: string): Promise<void> {
  const entry = a.messenger.store.getOutboxEntry(id)
  const holders = (await profileHolders(b)).length
  const cached = a.messenger.directory.cached(b.peerId)
  say(
    `  not delivered in 60 s: "${text}"; ${
      entry === undefined
        ? 'not in the outbox (acked?)'
        : `outbox: ${entry.envelope.byteLength === 0 ? 'unsealed' : 'sealed'}, ${entry.attempts} attempts, last error ${JSON.stringify(entry.lastError)}`
    }; a has b's profile ${cached === undefined ? 'not cached' : `seq ${cached.seq}`} (b's own seq ${b.messenger.directory.own?.seq}); ` +
      `${a.messenger.node.getConnections(b.messenger.node.peerId).length} connections a-b; ${holders} nodes hold b's profile`
  )
}

/** Message latency from sendText to message-received, for `count` random pairs, twice each. */
async function messages(
  count: number,
  concurrency: number
): Promise<{
  cold: number[]
  coldQueued: number[]
  warm: number[]
  lost: number
  /** Cold sends whose sender already had the recipient's addresses (kad-dht puts the peers its replies name in the peer store), or a connection to it. */
  coldKnown: { addresses: number; connected: number; of: number; latency: { known: number[]; unknown: number[] } }
}> {
  const rand = rngFrom('messages')
  const used = new Set<string>()
  const pairs: Array<[SimNode, SimNode]> = []
  while (pairs.length < count && used.size < nodes.length * (nodes.length - 1)) {
    const a = rand.int(nodes.length)
    let b = rand.int(nodes.length - 1)
    if (b >= a) b++
    const k = `${a}/${b}`
    if (used.has(k) || used.has(`${b}/${a}`)) continue
    used.add(k)
    pairs.push([nodes[a]!, nodes[b]!])
  }
  const waiting = new Map<string, (t: number) => void>()
  const listeners = new Map<SimNode, (evt: CustomEvent) => void>()
  for (const n of new Set(pairs.map(([, b]) => b))) {
    const l = (evt: CustomEvent): void => {
      waiting.get(evt.detail.message.text)?.(performance.now())
    }
    listeners.set(n, l)
    n.messenger.addEventListener('message-received', l as never)
  }
  let lost = 0
  /** Of each delivered cold send, the ms until sendText resolved: sealed and queued, after b's lookup. */
  const coldQueued: number[] = []
  const one = async (a: SimNode, b: SimNode, text: string, queued?: number[]): Promise<number | undefined> => {
    const got = new Promise<number | undefined>((resolve) => {
      waiting.set(text, resolve)
      setTimeout(() => resolve(undefined), 60_000).unref()
    })
    const t0 = performance.now()
    const { id } = await a.messenger.sendText(b.peerId, text)
    const tq = performance.now()
    const t1 = await got
    waiting.delete(text)
    if (t1 === undefined) {
      lost++
      await sayUndelivered(a, b, id, text)
    } else queued?.push(tq - t0)
    return t1 === undefined ? undefined : t1 - t0
  }
  const cold: number[] = []
  const warm: number[] = []
  const coldKnown = { addresses: 0, connected: 0, of: 0, latency: { known: [] as number[], unknown: [] as number[] } }
  // Cold and warm sends are separate phases: on one thread, a warm send made while other pairs'
  // lookups and dials run waits for their CPU, which no real node shares.
  await pool(pairs, concurrency, async ([a, b], i) => {
    // could a sender reach the recipient before any lookup? (a candidate for asking it at once)
    const id = peerIdFromString(b.peerId)
    const connected = a.messenger.node.getConnections(id).length > 0
    const known = await a.messenger.node.peerStore
      .get(id)
      .then((p) => p.addresses.length > 0)
      .catch(() => false)
    const c = await one(a, b, `cold ${i} ${a.i}->${b.i}`, coldQueued)
    coldKnown.of++
    if (connected) coldKnown.connected++
    if (known) coldKnown.addresses++
    if (c !== undefined) {
      cold.push(c)
      ;(known || connected ? coldKnown.latency.known : coldKnown.latency.unknown).push(c)
    }
  })
  await pool(pairs, concurrency, async ([a, b], i) => {
    const w = await one(a, b, `warm ${i} ${a.i}->${b.i}`)
    if (w !== undefined) warm.push(w)
  })
  for (const [n, l] of listeners) n.messenger.removeEventListener('message-received', l as never)
  return { cold, coldQueued, warm, lost, coldKnown }
}

// --- run -----------------------------------------------------------------------------------------

// keep the process alive while lookups wait on unref'd timers (a node whose routing table is empty
// waits for a peer with nothing else scheduled)
const keepAlive = setInterval(() => {}, 1_000)
const loop = monitorEventLoopDelay({ resolution: 20 })
loop.enable()
const rssStart = rssMB()
const t0 = performance.now()
const cpu0 = cpuSeconds()
say(
  `bench-sim-scale: ${N} nodes, preset ${PRESET}${OVERRIDES.map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}, ${TRANSPORT}, ${SEEDS} seeds, batches of ${BATCH}; ` +
    `${machine()}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`
)

// seeds: each dials the ones before it
for (let i = 0; i < SEEDS; i++) {
  const boot = nodes.flatMap((n) => n.messenger.addresses().slice(0, 1))
  nodes.push(await startNode(i, boot))
}
const seedAddrs = nodes.map((n) => n.messenger.addresses()[0]!)
const pickSeeds = rngFrom('bootstrap')
/** Poll until `check()` holds or `ms` passed; false on timeout. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms
  while (!check()) {
    if (performance.now() > until) return false
    await sleep(100)
  }
  return true
}
/** Wait until the event loop's median delay over 500 ms is below `ms` (or `maxMs` passed); returns that median. */
async function waitCalm(ms: number, maxMs: number): Promise<number> {
  const until = performance.now() + maxMs
  for (;;) {
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    await sleep(500)
    h.disable()
    const p50 = h.percentile(50) / 1e6
    if (p50 < ms || performance.now() > until) return p50
  }
}
const stamp = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`
for (let start = SEEDS; start < N; start += BATCH) {
  const batch: Promise<SimNode>[] = []
  for (let i = start; i < Math.min(N, start + BATCH); i++) {
    const a = pickSeeds.int(SEEDS)
    const b = (a + 1 + pickSeeds.int(Math.max(1, SEEDS - 1))) % SEEDS
    batch.push(startNode(i, SEEDS > 1 ? [seedAddrs[a]!, seedAddrs[b]!] : [seedAddrs[0]!]))
  }
  const started = await Promise.all(batch)
  nodes.push(...started)
  // pacing: the next batch joins once this one's profiles are stored and the event loop is calm again
  const published = await waitFor(
    () => started.every((n) => (n.messenger.directory.lastPublish?.acks ?? 0) > 0),
    JOIN_WAIT_MS
  )
  const calm = await waitCalm(CALM_MS, 10_000)
  const c = connectionStats()
  say(
    `  ${stamp()}: ${nodes.length} started${published ? '' : ` (${started.filter((n) => (n.messenger.directory.lastPublish?.acks ?? 0) === 0).length} of the batch not published yet)`}, ` +
      `connections/node ${c.mean} (max ${c.max}), event loop delay p50 ${calm.toFixed(0)} ms, rss ${rssMB().toFixed(0)} MB, cpu ${(cpuSeconds() - cpu0).toFixed(0)} s`
  )
}
const tStarted = performance.now()
say(`all ${N} started in ${((tStarted - t0) / 1000).toFixed(1)} s`)

// wait until every profile is held by another node and a probe of lookups succeeds
let formed = false
let replicas: number[] = []
while (performance.now() - t0 < FORM_TIMEOUT_MS) {
  replicas = await replicaCounts()
  const missing = replicas.filter((r) => r === 0).length
  if (missing === 0) {
    const probe = await lookups(20, 4, `probe-${Math.round(performance.now())}`)
    const failed = probe.filter((x) => x === undefined).length
    const c = connectionStats()
    say(`  ${stamp()}: every profile stored; probe ${20 - failed}/20 found; connections/node ${c.mean}`)
    if (failed === 0) {
      formed = true
      break
    }
  } else {
    const c = connectionStats()
    say(`  ${stamp()}: ${missing} profiles not stored anywhere yet; connections/node ${c.mean} (max ${c.max})`)
  }
  await sleep(2_000)
}
const tFormed = performance.now()
const cpuFormed = cpuSeconds()
const formS = (tFormed - t0) / 1000
say(
  `${formed ? 'routable' : 'NOT routable'} after ${formS.toFixed(1)} s wall, ${(cpuFormed - cpu0).toFixed(1)} s CPU; ` +
    `replicas per profile p50 ${summary(replicas).p50} min ${Math.min(...replicas)}`
)
const placed = await placement()
const placedStats = {
  ...summary(placed.held),
  min: Math.min(...placed.held),
  atMost3: placed.held.filter((h) => h <= 3).length,
  byBatch: placed.byBatch
}
say(
  `of the 20 nodes closest to each profile's key, holding it: p50 ${placedStats.p50}, min ${placedStats.min}, ` +
    `${placedStats.atMost3} profiles with 3 or fewer; mean by join batch ${placed.byBatch.join(' ')}`
)

/** Run `fn`, writing a CPU profile of it to `file` when one is asked for. */
async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (file === undefined) return fn()
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

if (process.env.BENCH_PROFILE_IDLE !== undefined) {
  // 20 s with no workload: what the network does by itself
  const c = cpuSeconds()
  await profiled(process.env.BENCH_PROFILE_IDLE, () => sleep(20_000))
  say(`idle 20 s: ${(cpuSeconds() - c).toFixed(1)} s CPU; profile in ${process.env.BENCH_PROFILE_IDLE}`)
}

const cpuL0 = cpuSeconds()
const tl0 = performance.now()
const looked = await profiled(process.env.BENCH_PROFILE_LOOKUPS, () => lookups(LOOKUPS, LOOKUP_CONCURRENCY, 'lookups'))
const found = looked.filter((x): x is Looked => x !== undefined)
const lookupMs = found.map((x) => x.ms)
const lookupStats = { ...summary(lookupMs), ok: lookupMs.length, of: LOOKUPS }
const firstRecordStats = summary(found.flatMap((x) => (x.firstRecordMs === undefined ? [] : [x.firstRecordMs])))
const lookupCpuMs = ((cpuSeconds() - cpuL0) * 1000) / LOOKUPS
say(
  `lookups: ${lookupMs.length}/${LOOKUPS} found; ms p50 ${lookupStats.p50} p90 ${lookupStats.p90} p99 ${lookupStats.p99} max ${lookupStats.max}` +
    ` (${((performance.now() - tl0) / 1000).toFixed(1)} s, ${lookupCpuMs.toFixed(0)} ms CPU per lookup);` +
    ` first record p50 ${firstRecordStats.p50} p90 ${firstRecordStats.p90} p99 ${firstRecordStats.p99}`
)

const cpuM0 = cpuSeconds()
const tm0 = performance.now()
const msg = await messages(MESSAGES, MESSAGE_CONCURRENCY)
const coldStats = summary(msg.cold)
const warmStats = summary(msg.warm)
const coldQueuedStats = summary(msg.coldQueued)
say(
  `messages cold (first to a peer: lookup + dial + deliver): ${msg.cold.length}/${MESSAGES}; ms p50 ${coldStats.p50} p90 ${coldStats.p90} p99 ${coldStats.p99} max ${coldStats.max}` +
    `; queued (sendText resolved: b looked up, sealed, committed) p50 ${coldQueuedStats.p50} p90 ${coldQueuedStats.p90}`
)
const known = msg.coldKnown
say(
  `first messages whose sender had the recipient's addresses before sending: ${known.addresses}/${known.of}` +
    ` (connected to it: ${known.connected}); p50 ${summary(known.latency.known).p50 ?? '–'} ms against ${summary(known.latency.unknown).p50 ?? '–'} ms for the others`
)
say(
  `messages warm (second to the same peer):              ${msg.warm.length}/${MESSAGES}; ms p50 ${warmStats.p50} p90 ${warmStats.p90} p99 ${warmStats.p99} max ${warmStats.max}` +
    ` (${((performance.now() - tm0) / 1000).toFixed(1)} s, ${(cpuSeconds() - cpuM0).toFixed(1)} s CPU, lost ${msg.lost})`
)

globalThis.gc?.()
await sleep(500)
const rss = rssMB()
const conns = connectionStats()
const rt = routingTableStats()
const result = {
  nodes: N,
  preset: PRESET,
  overrides: Object.fromEntries(OVERRIDES),
  transport: TRANSPORT,
  seeds: SEEDS,
  batch: BATCH,
  routable: formed,
  formS: Math.round(formS * 10) / 10,
  startS: Math.round(((tStarted - t0) / 1000) * 10) / 10,
  formCpuS: Math.round((cpuFormed - cpu0) * 10) / 10,
  lookupMs: lookupStats,
  lookupFirstRecordMs: firstRecordStats,
  lookupCpuMsEach: Math.round(lookupCpuMs),
  messageMs: { cold: coldStats, coldQueued: coldQueuedStats, warm: warmStats, lost: msg.lost },
  coldKnown: { addresses: known.addresses, connected: known.connected, of: known.of },
  rssMB: {
    total: Math.round(rss),
    perNode: Math.round(((rss - rssStart) / N) * 100) / 100,
    startMB: Math.round(rssStart)
  },
  heapMB: Math.round(heapMB()),
  memoryMB: memoryBreakdown(),
  connectionsPerNode: conns,
  routingTable: rt,
  datastore: await datastoreStats(),
  routingTableBuffers: routingTableBuffers(),
  closestHolding: placedStats,
  eventLoopDelayMs: { p50: Math.round(loop.percentile(50) / 1e6), p99: Math.round(loop.percentile(99) / 1e6) },
  totalS: Math.round((performance.now() - t0) / 1000),
  cpuS: Math.round(cpuSeconds() - cpu0)
}
say(
  `rss ${result.rssMB.total} MB (${result.rssMB.perNode} MB per node over the ${result.rssMB.startMB} MB at start), heap ${result.memoryMB.heapUsed} of ${result.memoryMB.heapTotal} MB, external ${result.memoryMB.external} MB (ArrayBuffers ${result.memoryMB.arrayBuffers}); ` +
    `connections/node ${conns.mean} (max ${conns.max}); routing table mean ${rt.mean} min ${rt.min}; ` +
    `event loop delay p50 ${result.eventLoopDelayMs.p50} ms p99 ${result.eventLoopDelayMs.p99} ms`
)
say(
  `datastores (entries, value MB, MB of the buffers behind them): ${JSON.stringify(result.datastore)}; routing tables ${JSON.stringify(result.routingTableBuffers)}`
)
if (process.env.BENCH_HEAP_SNAPSHOT !== undefined) {
  const { writeHeapSnapshot } = await import('node:v8')
  say(`heap snapshot: ${writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT)}`)
}
if (JSON_ONLY) console.log(JSON.stringify(result))
else console.log(`RESULT ${JSON.stringify(result)}`)

// shut down (bounded: a stuck stop must not hang the benchmark)
await Promise.race([Promise.allSettled(nodes.map((n) => n.messenger.stop())), sleep(20_000)])
for (const n of nodes) {
  try {
    n.store.close()
  } catch {
    // already closed
  }
}
rmSync(dir, { recursive: true, force: true })
clearInterval(keepAlive)
process.exit(formed ? 0 : 1)
