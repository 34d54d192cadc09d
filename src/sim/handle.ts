import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { LookupStats } from '../directory/index.ts'
import type { MessengerInit } from '../messenger/index.ts'
import { type DhtSettings, dhtSettings, routingTableSize } from '../net/index.ts'
import { simTrust } from './business.ts'
import { createCluster, peerIdOfNode } from './cluster.ts'
import { derive } from './rng.ts'
import type { LinkConditions } from './simnet.ts'

/**
 * What the runner needs from the nodes, wherever they live: in this process (a cluster) or
 * spread over worker processes (the coordinator forwards each call to the node's worker).
 */
/** JoinState: what ClusterHandle.joinState reads. */
export interface JoinState {
  contacts: number
  selfLookups: number
}

/** A rejoin's self-lookup gives up after this long. */
const REJOIN_TIMEOUT_MS = 30_000

export interface ClusterHandle {
  /**
   * Start node i (or restart it, keeping its store); resolves with its address. `publish: false`
   * holds its profile back until `publish(i)`.
   */
  start(index: number, bootstrap: string[], options?: { publish?: boolean }): Promise<string>
  /** Start publishing node i's profile (after a start with `publish: false`). */
  publish(index: number): Promise<void>
  /**
   * How far node i has joined the DHT: the contacts its routing table holds, and the self-lookups
   * (kad-dht's self-query, or a `rejoin`) it has completed since it last started. Zeros if down.
   */
  joinState(index: number): Promise<JoinState>
  /**
   * Node i looks itself up in the DHT now, as kad-dht's self-query does at its interval: a joiner
   * whose first self-query ended early (timeouts on a busy machine) fills its routing table.
   * Resolves when the lookup has ended; nothing if the node is down.
   */
  rejoin(index: number): Promise<void>
  stop(index: number): Promise<void>
  isUp(index: number): boolean
  /**
   * Of `ids`, the messages node `from` still holds in its outbox: neither acked by their recipient
   * nor given up. Read from its store, which outlives a stop.
   */
  stillQueued(from: number, ids: string[]): Promise<string[]>
  /**
   * Of `ids`, the messages node `to` has committed to its inbox, with the commit time (wall clock,
   * ms): read from its store, for messages whose delivery was not reported before the run ended.
   */
  committed(to: number, ids: string[]): Promise<Array<{ id: string; at: number }>>
  /** Whether node i's profile is stored by at least one other node (a publish some peer acked). */
  published(index: number): Promise<boolean>
  peerId(index: number): string
  /**
   * Send a text; resolves with the message id, the wall-clock time it was handed to the node, and
   * when the node had sealed it and queued it (after its recipient's lookup, on a first message).
   */
  send(from: number, to: number, text: string): Promise<{ id: string; at: number; queuedAt: number }>
  /**
   * `from` resolves `target`'s profile past its cache: in the DHT, and with `askRecipient` also from
   * `target` itself, as a first message does (found by peer routing when no record is stored).
   */
  lookup(from: number, target: number, options?: { askRecipient?: boolean }): Promise<LookupResult>
  partition(groups: number[] | undefined): Promise<void>
  setLink(conditions: LinkConditions): Promise<void>
  verify(from: number, target: number): Promise<string>
  /**
   * RSS (bytes, all processes), bytes sent on simulated links, and how late the event loop ran
   * since the last `reset` (the worst process): the nodes share a CPU, and a loop running late
   * means latencies include queueing for it that no real node would see.
   */
  stats(options?: { reset?: boolean }): Promise<SimStats>
  stopAll(): Promise<void>
}

/** A lookup's wall time, and when its first valid record came (null: none, or no DHT lookup ran). */
export interface LookupResult {
  ms: number
  ok: boolean
  firstRecordMs: number | null
  records: number
}

export interface SimStats {
  rss: number
  bytesSent: number
  loopDelayMs: { p50: number; p99: number }
  /** The distinct DHT settings the running nodes use, read back from their kad-dht. */
  dht: DhtSettings[]
  /** Profile puts: made so far (every run of every node), and nodes republishing right now. */
  publishes: PublishActivity
  /** CPU time (user and system) the simulation's processes have used so far, in seconds. */
  cpuS: number
}

/**
 * `total` counts every put; `active` the nodes with a put running or due within ACTIVE_WINDOW_MS,
 * and `recent` those that finished a republish (not their first put) within it. A network that
 * has just grown republishes in waves (Directory's growth republish), and a workload that overlaps
 * them measures the puts' CPU as much as its own.
 */
export interface PublishActivity {
  total: number
  active: number
  recent: number
}

/** How far around now a put counts as the network still republishing. */
export const ACTIVE_WINDOW_MS = 10_000

/** CPU time this process has used (user and system), in seconds. */
export function cpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** `settings` without repeats. */
export function distinctDhtSettings(settings: DhtSettings[]): DhtSettings[] {
  const seen = new Map<string, DhtSettings>()
  for (const d of settings) seen.set(`${d.alpha}/${d.disjointPaths}/${d.verifyNewContacts}`, d)
  return [...seen.values()]
}

export interface LocalHandleInit {
  seed: number | string
  nodes: number
  indices?: number[]
  transport: 'memory' | 'tcp'
  link: LinkConditions
  misbehaving: number[]
  seeds: number[]
  nodeOptions: Partial<MessengerInit>
  business?: { node: number; customers: number[]; chain: Uint8Array; statusRecord: Uint8Array; bundle: Uint8Array }
  /** Every inbox commit: message id and wall-clock commit time. */
  onDelivered(id: string, at: number): void
}

/** The nodes in this process. */
export function localHandle(init: LocalHandleInit): ClusterHandle & { peerIds(): Map<number, string> } {
  const customers = new Set(init.business?.customers ?? [])
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  const cluster = createCluster({
    seed: init.seed,
    indices: init.indices ?? Array.from({ length: init.nodes }, (_, i) => i),
    transport: init.transport,
    link: init.link,
    misbehaving: new Set(init.misbehaving),
    seeds: new Set(init.seeds),
    nodeOptions: init.nodeOptions,
    rng: derive(init.seed, 'link'),
    onDelivered: (_index, id, at) => init.onDelivered(id, at),
    ...(init.business !== undefined
      ? {
          trustFor: (i: number) => (customers.has(i) ? simTrust(init.business!) : undefined),
          attestationFor: (i: number) => (i === init.business!.node ? init.business!.bundle : undefined)
        }
      : {})
  })
  const node = (i: number) => {
    const n = cluster.nodes.get(i)
    if (n === undefined) throw new Error(`node ${i} is not in this process`)
    return n
  }
  const up = (i: number) => {
    const m = node(i).messenger
    if (m === undefined) throw new Error(`node ${i} is down`)
    return m
  }
  /** Completed self-lookups per node since its last start (JoinState). */
  const selfLookups = new Map<number, number>()
  const selfLookedUp = (i: number): void => {
    selfLookups.set(i, (selfLookups.get(i) ?? 0) + 1)
  }
  return {
    async start(i, bootstrap, options = {}) {
      const n = await cluster.start(i, bootstrap, options)
      selfLookups.set(i, 0)
      // kad-dht announces each self-query that ran its course (a timed-out one it does not) on the
      // node's event bus; the event is not in libp2p's typed event map
      const bus = n.messenger?.node as EventTarget | undefined
      bus?.addEventListener('kad-dht:query:self', () => selfLookedUp(i))
      return n.address ?? ''
    },
    async rejoin(i) {
      const m = node(i).messenger
      if (m === undefined) return
      const self = m.node.peerId.toMultihash().bytes
      for await (const _ of m.node.services.dht.getClosestPeers(self, {
        signal: AbortSignal.timeout(REJOIN_TIMEOUT_MS)
      })) {
        // the walk itself fills the routing table
      }
      selfLookedUp(i)
    },
    async publish(i) {
      up(i).directory.start()
    },
    joinState: async (i) => {
      const m = node(i).messenger
      return m === undefined
        ? { contacts: 0, selfLookups: 0 }
        : { contacts: routingTableSize(m.node), selfLookups: selfLookups.get(i) ?? 0 }
    },
    stop: (i) => cluster.stop(i),
    isUp: (i) => node(i).messenger !== undefined,
    async stillQueued(from, ids) {
      const store = node(from).store
      return ids.filter((id) => store.getMessage(id)?.status === 'queued')
    },
    async committed(to, ids) {
      const store = node(to).store
      return ids.flatMap((id) => {
        const m = store.getMessage(id)
        return m?.direction === 'in' && m.receivedAt !== null ? [{ id, at: m.receivedAt }] : []
      })
    },
    published: async (i) => (node(i).messenger?.directory.lastPublish?.acks ?? 0) > 0,
    peerId: (i) => node(i).peerId,
    peerIds: () => new Map([...cluster.nodes].map(([i, n]) => [i, n.peerId])),
    async send(from, to, text) {
      const at = Date.now()
      const { id } = await up(from).sendText(peerIdOf(to), text)
      return { id, at, queuedAt: Date.now() }
    },
    async lookup(from, target, options = {}) {
      const started = performance.now()
      let dht: LookupStats | undefined
      const result = (ok: boolean): LookupResult => ({
        ms: performance.now() - started,
        ok,
        firstRecordMs: dht?.firstRecordMs ?? null,
        records: dht?.records ?? 0
      })
      try {
        const p = await up(from).resolve(peerIdOf(target), {
          fresh: true,
          askRecipient: options.askRecipient === true,
          signal: AbortSignal.timeout(30_000),
          onLookup: (stats) => {
            dht = stats
          }
        })
        return result(p !== undefined)
      } catch {
        return result(false)
      }
    },
    async partition(groups) {
      cluster.partition(groups)
    },
    async setLink(conditions) {
      cluster.setLink(conditions)
    },
    async verify(from, target) {
      const v = await up(from).verifyPeer(peerIdOf(target), { refresh: true })
      return v.status
    },
    async stats(options = {}) {
      const loopDelayMs = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6 }
      if (options.reset === true) loopDelay.reset()
      const running = [...cluster.nodes.values()].flatMap((n) => (n.messenger === undefined ? [] : [n.messenger]))
      const t = Date.now()
      const publishes = { total: 0, active: 0, recent: 0 }
      for (const n of cluster.nodes.values()) publishes.total += n.publishesBefore
      for (const { directory: d } of running) {
        publishes.total += d.publishes
        if (d.publishDueInMs() <= ACTIVE_WINDOW_MS) publishes.active++
        else if (d.publishes > 1 && t - (d.lastPublish?.at ?? 0) <= ACTIVE_WINDOW_MS) publishes.recent++
      }
      return {
        rss: process.memoryUsage().rss,
        bytesSent: cluster.network.bytesSent,
        loopDelayMs,
        dht: distinctDhtSettings(running.map((m) => dhtSettings(m.node))),
        publishes,
        cpuS: cpuSeconds()
      }
    },
    async stopAll() {
      loopDelay.disable()
      await cluster.stopAll()
    }
  }

  function peerIdOf(i: number): string {
    // every node's PeerId is known from the seed, wherever the node runs
    return cluster.nodes.get(i)?.peerId ?? peerIdOfNode(init.seed, i)
  }
}
