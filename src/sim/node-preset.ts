import { setFlagsFromString } from 'node:v8'
import type { MessengerInit } from '../messenger/index.ts'
import { USER_LIMITS } from '../net/index.ts'
import type { StoreInit } from '../store/index.ts'

/** Messenger settings a simulation may set (the rest is per node: identity, store, addresses). */
export type SimulationNodeOptions = Omit<MessengerInit, 'identity' | 'store' | 'listen' | 'bootstrap'>

/**
 * The settings every simulated node runs with. The protocol is production's: the same Kad-DHT (K,
 * alpha, disjoint paths), records, envelopes, acks and outbox. What changes, and why it does not
 * change what is measured (README, "What the simulator changes"):
 * - `lean`: no connection monitor (it pings every connection every 10 s: with hundreds of nodes on
 *   one thread that is pure load, and a missed ping no longer closes anything in production either),
 *   no yamux keep-alive (a ping on every connection every 30 s that yamux never acts on: on TCP
 *   workers, sending pings and answers was 3-5 % of a worker's CPU before reading them, and 11 %
 *   of a 1,000-node run's bytes) and a logger that does nothing (debug's per-logger isatty() was
 *   7 % of CPU).
 * - connection limits fit one process holding every node: no per-host inbound rate limit (every
 *   peer is 127.0.0.1 or in memory) and more pending upgrades, since the whole network joins at once.
 * - DHT timeouts start at 10 s instead of adapting down to the measured round trip: in one process
 *   a reply waits for a CPU shared by every node, which no real node does, and an adaptive timeout
 *   reads that queueing as a dead peer and starts the query again elsewhere (more load, more delay).
 * - no routing-table refresh at start (kad-dht runs a lookup per bucket when a node starts and every
 *   5 minutes after): a thousand nodes starting together turn it into a storm that a real network,
 *   whose nodes start at different times, never sees. Self-queries still fill the table.
 * - outbox retry backoff 0.5–5 s instead of 1 s–5 min, so a run of minutes shows redelivery.
 * - status lists (verified businesses) refreshed hourly: nothing in a run changes them sooner.
 * - stores in memory with synchronous=normal: a run measures the network, not the disk.
 * - seed nodes (seedNodeOptions) accept any number of connections, as real bootstrap nodes do.
 * - a DHT self-query every hour instead of every 10 minutes: the join's self-query fills the table,
 *   and with N nodes on one thread the periodic ones are N queries per interval that only a run of
 *   hours would need (1,000 nodes: almost two a second, most of the CPU once the network formed).
 * - idle connections are trimmed above 24 down to 16 (connectionTrim, go-libp2p's connection
 *   manager in small): kad-dht otherwise keeps every connection it ever made and a network drifts
 *   toward a mesh, 0.12-0.17 MB of RSS per connection end. A peer dials again when it needs to.
 * - kad-dht re-tags its 20 closest peers keep-alive every 30 s instead of 5 s: each round builds
 *   peer sets by string id, and at 5,000 nodes the rounds were 4.6 % of a worker's CPU. The trim
 *   leaves a connection alone for its first 30 s anyway, so a new close peer keeps its connection.
 */
export function simulationNodeOptions(): SimulationNodeOptions {
  const patient = { minTimeout: 10_000, maxTimeout: 30_000 }
  return {
    lean: true,
    limits: {
      ...USER_LIMITS,
      inboundConnectionThreshold: 1e9,
      maxIncomingPendingConnections: 1_000,
      maxConnections: 200
    },
    dht: {
      tableRefresh: false,
      closestPeersTagIntervalMs: 30_000,
      querySelfInterval: 60 * 60_000,
      networkDialTimeout: patient,
      pingNewContactTimeout: patient,
      pingOldContactTimeout: patient
    },
    connectionTrim: { high: 24, low: 16, graceMs: 30_000 },
    backoff: { baseMs: 500, capMs: 5_000 },
    statusRefreshMs: 60 * 60_000
  }
}

/**
 * A seed node's settings: the preset with no practical connection limit. A seed is every joiner's
 * first contact, and at its limit libp2p refuses inbound connections (it prunes only what it
 * dialled itself), so a full seed turns the rest of the network away: 1,000 nodes stalled at 554
 * behind four seeds holding 200 connections each. Real bootstrap nodes run with high limits too.
 */
export function seedNodeOptions<T extends { limits?: SimulationNodeOptions['limits'] }>(options: T): T {
  const limits = options.limits ?? USER_LIMITS
  return {
    ...options,
    limits: { ...limits, maxConnections: SEED_MAX_CONNECTIONS, tcpMaxConnections: SEED_MAX_CONNECTIONS }
  }
}

/** Connections a seed node accepts: one to every node of the largest scenario the schema allows. */
export const SEED_MAX_CONNECTIONS = 50_000

/**
 * Settings for a process that runs simulated nodes (`parley sim`, its workers, the scale bench):
 * - Errors carry no stack trace unless PARLEY_DEBUG is set (the CLI's switch for stack traces).
 *   libp2p builds Errors as control flow: a RangeError for every Noise chunk that ends a frame
 *   ("need more bytes"), an AbortError for every peer-store lock and queue job. Capturing their
 *   stacks was about 10 % of a 1,000-node run's CPU. DEBUG, which only turns logging on, leaves
 *   them off: a run that logs its progress must measure what a run without logs does.
 * - V8's old generation grows by at most half of what survived the last full GC
 *   (`--heap-growing-percent=50`). V8 otherwise lets it grow up to fourfold when GC looks cheap,
 *   and with hundreds of nodes per process the garbage it leaves between collections was most of
 *   the RSS: 100 nodes ended with 98 MB of live heap in 489 MB (6.68 MB RSS per node); with the
 *   cap, 96 MB in 291 MB (4.33 MB per node), for about a fifth more CPU while forming.
 * - Node's Buffer pool hands out small `Buffer.allocUnsafe` slices of 64 KiB slabs (Node 24's
 *   default), and one slice that stays (a PeerId's digest, a multiaddr's bytes, held by a
 *   connection for its life) keeps its whole slab alive. 8 KiB slabs keep an eighth as much.
 */
export function tuneSimulationProcess(): void {
  if (!process.env.PARLEY_DEBUG) Error.stackTraceLimit = 0
  setFlagsFromString(`--heap-growing-percent=${SIMULATION_HEAP_GROWING_PERCENT}`)
  Buffer.poolSize = SIMULATION_BUFFER_POOL_SIZE
}

/** The size of the slabs Node's Buffer pool carves small buffers from, in a simulation process (see tuneSimulationProcess). */
export const SIMULATION_BUFFER_POOL_SIZE = 8 * 1024

/** How far V8 may grow the old generation past its live size, in percent (see tuneSimulationProcess). */
export const SIMULATION_HEAP_GROWING_PERCENT = 50

/** Store settings for a simulated node. */
export function simulationStoreOptions(): Pick<StoreInit, 'synchronous'> {
  return { synchronous: 'normal' }
}
