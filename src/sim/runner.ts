import { setMaxListeners } from 'node:events'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import type { MessengerInit } from '../messenger/index.ts'
import { simRegistry } from './business.ts'
import { peerIdOfNode } from './cluster.ts'
import { bootstrapFor, joinInBatches, joinThenPublish, waitPublished } from './forming.ts'
import { type ClusterHandle, localHandle, type PublishActivity, type SimStats } from './handle.ts'
import { distribution } from './metrics.ts'
import { type FaultEvent, makePlan, messageText, type Plan } from './plan.ts'
import { derive } from './rng.ts'
import type { Scenario } from './scenario.ts'

const log = logger('parley:sim')

/** What happened to one planned message. */
export interface MessageRecord {
  seq: number
  from: number
  to: number
  plannedAt: number
  /** ms after the workload started; null if never sent (the sender never came back). */
  sentAt: number | null
  /**
   * ms after the workload started when the sender had sealed it and committed it to its outbox:
   * on a first message to a peer, after the recipient's lookup. null if never queued.
   */
  queuedAt: number | null
  deliveredAt: number | null
  latencyMs: number | null
  /** Inbox rows for it beyond the first (must stay 0: exactly once). */
  duplicates: number
  /** queued: not delivered by the run's end, still in the sender's outbox; lost: not delivered, and not there. */
  status: 'delivered' | 'queued' | 'lost' | 'undeliverable' | 'not-sent'
}

export interface LookupRecord {
  at: number
  from: number
  target: number
  ms: number | null
  ok: boolean
  /** When the first valid record came (the rest of `ms` is the lookup's settle wait); null: none. */
  firstRecordMs: number | null
  /** Valid records the lookup saw. */
  records: number
}

/** summary.json */
export interface Summary {
  nodes: number
  seed: number | string
  transport: 'memory' | 'tcp'
  workers: number
  messages: {
    planned: number
    sent: number
    delivered: number
    duplicates: number
    /**
     * Sent, not delivered by the run's end, and still in the sender's outbox (its recipient not
     * reached yet): the run ended before them, they were not dropped.
     */
    queued: number
    /** Sent to an honest node, not delivered, and no longer in the sender's outbox. */
    lost: number
    undeliverable: number
  }
  /** From the send call to the recipient's inbox commit: queuedMs, then deliveryMs. */
  latencyMs: ReturnType<typeof distribution>
  /**
   * Of the delivered messages, from the send call until the sender had sealed the message and
   * committed it to its outbox: on a first message to a peer, mostly the recipient's lookup.
   */
  queuedMs: ReturnType<typeof distribution>
  /** Of the delivered messages, from queued to the recipient's inbox commit: dial, stream, checks, commit. */
  deliveryMs: ReturnType<typeof distribution>
  lookupMs: ReturnType<typeof distribution> & { ok: number; failed: number }
  /**
   * Of the successful lookups, the time to the first valid record: the DHT's part. A lookup then
   * waits up to 250 ms more for a quorum of 3 (the newest record wins), so lookupMs includes it.
   */
  lookupFirstRecordMs: ReturnType<typeof distribution>
  bytesSent: number
  rssMB: { total: number; perNode: number }
  /**
   * How late the event loop ran from the workload's start to the end (the worst process). The
   * nodes share the machine's CPUs: well above ~50 ms, latencies include queueing for the CPU.
   */
  eventLoopDelayMs: { p50: number; p99: number }
  /**
   * CPU seconds all the run's processes used while the network formed, and from the workload's
   * start to the end of settling; `cores` is what the machine has, so workload / (its wall time ×
   * cores) near 1 means the run measured a saturated CPU.
   */
  cpuS: { forming: number; workload: number; workloadWallS: number; cores: number }
  durationS: number
  formationS: number
  /**
   * Seconds from the start until the network was routable: a round of probe resolves between 10
   * random pairs all found their target. With `"publish": "on-start"` that is the routable check's
   * DHT lookups, once every node has published. With `"after-join"` it is checked after every node
   * has joined and before any profile is put: a resolve then finds its target as a first message
   * does when the DHT holds no record, by peer routing and asking the peer. Null: never.
   */
  routableS: number | null
  /** Nodes with no stored profile when the workload started (stragglers; they still take part). */
  unpublished: number
  /**
   * Profile puts, republishes included: while forming (to the workload's start) and during the
   * workload and settling; `quietWaitS` is how long the run waited after the routable check for
   * the network's republishing to calm (see waitQuiet); `when` is the scenario's `publish`.
   */
  publishes: { forming: number; workload: number; quietWaitS: number; when: Scenario['publish'] }
  faults: { churned: number; partitions: number; misbehaving: number; linkChanges: number }
  /** The Kad-DHT settings the nodes ran with (scenario `dht`, else production's). */
  dht: { alpha: number; disjointPaths: number; verifyNewContacts: boolean }
  verification?: Record<string, number>
}

/** How far the network had formed at a moment: nodes started, and nodes some other node stores the profile of. */
export interface FormingSample {
  /** Since the run started. */
  atMs: number
  started: number
  published: number
}

export interface RunResult {
  summary: Summary
  messages: MessageRecord[]
  lookups: LookupRecord[]
  /** One sample at each change while the network formed, and one when it had formed. */
  forming: FormingSample[]
  plan: Plan
}

export interface Progress {
  phase: 'starting' | 'forming' | 'running' | 'settling' | 'stopping' | 'done'
  started: number
  nodes: number
  /** Nodes whose profile some other node has stored (the join's last step). */
  published: number
  /**
   * The last round of the routable check's probe lookups, once every node (or all but a few
   * stragglers) has published.
   */
  probe?: { found: number; of: number }
  /** Nodes republishing (PublishActivity's active + recent) while the run waits for them to calm. */
  republishing?: number
  sent: number
  delivered: number
  planned: number
}

export interface RunInit {
  scenario: Scenario
  /** The simulation preset for every node's messenger. */
  nodeOptions?: Partial<MessengerInit>
  onProgress?(p: Progress): void
  /** Nodes started at once while the network forms. @default 50 */
  batch?: number
}

/** Wall-clock ms (the clock receivedAt uses), so times from several processes line up. */
const now = (): number => Date.now()

/** The registry material of a run with a business (shared by every process of the run). */
export interface RunBusiness {
  node: number
  customers: number[]
  chain: Uint8Array
  statusRecord: Uint8Array
  bundle: Uint8Array
}

/** Make the plan and, if the scenario has a business, its registry. */
export function prepare(s: Scenario): { plan: Plan; business?: RunBusiness } {
  const plan = makePlan(s)
  if (plan.business === undefined) return { plan }
  const reg = simRegistry(s.seed, { peerId: peerIdOfNode(s.seed, plan.business.node), name: plan.business.name })
  return {
    plan,
    business: {
      node: plan.business.node,
      customers: plan.business.customers,
      chain: reg.chain,
      statusRecord: reg.statusRecord,
      bundle: reg.bundle
    }
  }
}

/** Run a scenario with every node in this process. */
export async function runInProcess(init: RunInit): Promise<RunResult> {
  const s = init.scenario
  const { plan, business } = prepare(s)
  const deliveries = new Map<string, { at: number; count: number }>()
  const handle = localHandle({
    seed: s.seed,
    nodes: s.nodes,
    transport: s.transport,
    link: s.link,
    misbehaving: plan.misbehaving,
    seeds: plan.seeds,
    nodeOptions: init.nodeOptions ?? {},
    ...(business !== undefined ? { business } : {}),
    onDelivered: (id, at) => recordDelivery(deliveries, id, at)
  })
  return runScenario({ ...init, plan, handle, deliveries, workers: 0 })
}

/** Count an inbox commit (the first sets the delivery time; more would be duplicates). */
export function recordDelivery(deliveries: Map<string, { at: number; count: number }>, id: string, at: number): void {
  const d = deliveries.get(id)
  if (d === undefined) deliveries.set(id, { at, count: 1 })
  else d.count++
}

export interface ScenarioRun extends RunInit {
  plan: Plan
  handle: ClusterHandle
  /** Filled by the handle's delivery callback. */
  deliveries: Map<string, { at: number; count: number }>
  workers: number
}

/** Form the network, run the workload and the faults on the clock, settle, and measure. */
export async function runScenario(run: ScenarioRun): Promise<RunResult> {
  const { scenario: s, plan, handle, deliveries } = run
  const t0 = now()
  const progress: Progress = {
    phase: 'starting',
    started: 0,
    nodes: s.nodes,
    published: 0,
    sent: 0,
    delivered: 0,
    planned: plan.messages.length
  }
  // nodes seen to publish, for the progress line (a stalled join shows there, not as silence)
  const published = new Set<number>()
  const forming: FormingSample[] = []
  const sampleForming = (): void => {
    const last = forming.at(-1)
    if (last?.started === progress.started && last.published === progress.published) return
    forming.push({ atMs: now() - t0, started: progress.started, published: progress.published })
  }
  const report = (): void => {
    progress.published = published.size
    if (progress.phase === 'starting' || progress.phase === 'forming') sampleForming()
    let delivered = 0
    for (const id of seqToId.values()) if (deliveries.has(id)) delivered++
    progress.delivered = delivered
    run.onProgress?.({ ...progress })
  }
  setMaxListeners(Number.POSITIVE_INFINITY)
  const records: MessageRecord[] = plan.messages.map((m) => ({
    seq: m.seq,
    from: m.from,
    to: m.to,
    plannedAt: m.at,
    sentAt: null,
    queuedAt: null,
    deliveredAt: null,
    latencyMs: null,
    duplicates: 0,
    status: 'not-sent'
  }))
  const seqToId = new Map<number, string>()
  const sentAtWall = new Map<number, number>()
  const queuedAtWall = new Map<number, number>()
  /** Ids of the messages still in their sender's outbox once the run settled. */
  const queuedAtEnd = new Set<string>()
  /**
   * Messages found in their recipient's inbox at the run's end whose delivery was not reported:
   * the recipient acks at its commit, but reports the message only once it has checked the
   * sender's badge, which can take seconds (message-received). At their commit time, once each.
   */
  const committedAtEnd = new Map<string, { at: number; count: number }>()
  let workloadStart = 0
  const seedAddrs: string[] = []
  const summaryFaults = { churned: 0, partitions: 0, misbehaving: plan.misbehaving.length, linkChanges: 0 }
  const lookups: LookupRecord[] = []
  const verification: Record<string, number> = {}
  const timers: NodeJS.Timeout[] = []
  const pendingSends = new Map<number, number[]>()
  /** Send calls not answered yet: a first message's resolves once its recipient's lookup has run. */
  const inFlightSends = new Set<Promise<void>>()
  let formationS = 0
  let routableS: number | null = null
  let unpublished: number[] = []
  const publishes = { forming: 0, workload: 0, quietWaitS: 0 }
  let stats: SimStats = {
    rss: 0,
    bytesSent: 0,
    loopDelayMs: { p50: 0, p99: 0 },
    dht: [],
    publishes: { total: 0, active: 0, recent: 0 },
    cpuS: 0
  }
  let cpuAtWorkload = 0
  let workloadWallS = 0

  try {
    // --- forming: seeds first, then everyone else in batches, bootstrapping through the seeds
    const hold = s.publish === 'after-join'
    for (const i of plan.seeds) {
      seedAddrs.push(await handle.start(i, [...seedAddrs], hold ? { publish: false } : {}))
      progress.started++
    }
    report()
    progress.phase = 'forming'
    const rest = Array.from({ length: s.nodes }, (_, i) => i).filter((i) => !plan.seeds.includes(i))
    const joining = {
      handle,
      joiners: rest,
      seedAddrs,
      batch: run.batch ?? 50,
      deadline: now() + s.warmup * 1000,
      published,
      onChange: (started: number) => {
        progress.started = plan.seeds.length + started
        report()
      }
    }
    const onProbe = (probe: { found: number; of: number }): void => {
      progress.probe = probe
      report()
    }
    const routableAt = (): void => {
      routableS = (now() - t0) / 1000
      log('routable after %ds', routableS)
    }
    if (hold) {
      await joinThenPublish({
        ...joining,
        seeds: plan.seeds,
        beforePublish: async () => {
          const honest = Array.from({ length: s.nodes }, (_, i) => i).filter((i) => !plan.misbehaving.includes(i))
          const rng = derive(s.seed, 'routable')
          if (await probeUntilFound(handle, honest, rng, joining.deadline, { askRecipient: true }, onProbe))
            routableAt()
        }
      })
    } else {
      await joinInBatches(joining)
    }
    const checked = await waitRoutable(handle, s, plan, published, report, onProbe)
    unpublished = checked.unpublished
    if (!hold && checked.routable) routableAt()
    const quietFrom = now()
    const formed = await waitQuiet({
      handle,
      allowed: Math.floor(s.nodes * STRAGGLERS.share),
      deadline: now() + s.warmup * 1000,
      onActivity: (republishing) => {
        progress.republishing = republishing
        report()
      }
    })
    publishes.forming = formed.total
    publishes.quietWaitS = Math.round((now() - quietFrom) / 100) / 10
    formationS = (now() - t0) / 1000
    forming.push({ atMs: now() - t0, started: progress.started, published: published.size })
    log('network formed in %ds', formationS)

    // --- the workload and the faults, on the clock
    progress.phase = 'running'
    report()
    cpuAtWorkload = (await handle.stats({ reset: true })).cpuS
    workloadStart = now()
    const send = (seq: number): void => {
      const m = plan.messages[seq]!
      if (!handle.isUp(m.from)) {
        // the sender is offline: the user's message goes out when the node is back
        pendingSends.set(m.from, [...(pendingSends.get(m.from) ?? []), seq])
        return
      }
      progress.sent++
      const sending = handle
        .send(m.from, m.to, messageText(seq, s.workload.textBytes))
        .then((r) => {
          seqToId.set(seq, r.id)
          sentAtWall.set(seq, r.at)
          queuedAtWall.set(seq, r.queuedAt)
        })
        .catch((err: Error) => log.error('send %d failed: %s', seq, err.message))
        .finally(() => inFlightSends.delete(sending))
      inFlightSends.add(sending)
    }
    for (const m of plan.messages) timers.push(setTimeout(() => send(m.seq), m.at))
    for (const l of plan.lookups) {
      timers.push(
        setTimeout(() => {
          if (!handle.isUp(l.from) || !handle.isUp(l.target)) return
          handle
            .lookup(l.from, l.target)
            .then((r) => lookups.push({ at: l.at, from: l.from, target: l.target, ...r }))
            .catch(() =>
              lookups.push({
                at: l.at,
                from: l.from,
                target: l.target,
                ms: null,
                ok: false,
                firstRecordMs: null,
                records: 0
              })
            )
        }, l.at)
      )
    }
    const apply = async (f: FaultEvent): Promise<void> => {
      switch (f.kind) {
        case 'down':
          summaryFaults.churned++
          await handle.stop(f.node)
          break
        case 'up': {
          await handle.start(f.node, bootstrapFor(f.node, seedAddrs))
          const waiting = pendingSends.get(f.node) ?? []
          pendingSends.delete(f.node)
          for (const seq of waiting) send(seq)
          break
        }
        case 'partition':
          summaryFaults.partitions++
          await handle.partition(f.groups)
          break
        case 'heal':
          await handle.partition(undefined)
          break
        case 'link':
          summaryFaults.linkChanges++
          await handle.setLink(f.conditions)
          break
      }
    }
    let faultChain = Promise.resolve()
    for (const f of plan.faults) {
      timers.push(
        setTimeout(() => {
          faultChain = faultChain
            .then(() => apply(f))
            .catch((err: Error) => log.error('fault %s failed: %s', f.kind, err.message))
        }, f.at)
      )
    }
    const progressTimer = setInterval(report, 250)
    await sleep(plan.end + 50)
    await faultChain

    // --- settling: until every message to an honest node has landed, or the settle time is up
    progress.phase = 'settling'
    report()
    const misbehaving = new Set(plan.misbehaving)
    const deadline = now() + s.settle * 1000
    /** Messages to honest nodes not delivered yet (those not sent yet have no id). */
    const undelivered = () =>
      plan.messages.filter((m) => {
        const id = seqToId.get(m.seq)
        return !misbehaving.has(m.to) && (id === undefined || !deliveries.has(id))
      })
    const outstanding = (): number =>
      [...pendingSends.values()].reduce((a, b) => a + b.length, 0) + undelivered().length
    while (now() < deadline && outstanding() > 0) await sleep(250)
    clearInterval(progressTimer)

    // a send still waiting for its lookup has no id to look for yet: once answered, its message is
    // in the outbox (or was refused), so wait for those answers before reading the outboxes
    await Promise.all(inFlightSends)
    // what the run did not deliver: still in the sender's outbox (queued), committed by its
    // recipient but not reported yet (delivered), or gone (lost). One read per node and store, all
    // at once: on workers each is a round trip to another process.
    const unaccounted = undelivered().filter((m) => seqToId.has(m.seq))
    const readEach = (
      byNode: Map<number, typeof unaccounted>,
      what: string,
      read: (node: number, ids: string[]) => Promise<void>
    ) =>
      Promise.all(
        [...byNode].map(async ([node, messages]) => {
          try {
            await read(
              node,
              messages.map((m) => seqToId.get(m.seq)!)
            )
          } catch (err) {
            // a failed read shows nothing: its messages count as lost unless the other read finds them
            log("could not read node %d's %s: %s", node, what, (err as Error).message)
          }
        })
      )
    await Promise.all([
      readEach(
        Map.groupBy(unaccounted, (m) => m.from),
        'outbox',
        async (from, ids) => {
          for (const id of await handle.stillQueued(from, ids)) queuedAtEnd.add(id)
        }
      ),
      readEach(
        Map.groupBy(unaccounted, (m) => m.to),
        'inbox',
        async (to, ids) => {
          for (const { id, at } of await handle.committed(to, ids)) committedAtEnd.set(id, { at, count: 1 })
        }
      )
    ])

    if (plan.business !== undefined) {
      for (const c of plan.business.customers) {
        if (!handle.isUp(c)) continue
        const status = await handle.verify(c, plan.business.node).catch(() => 'error')
        verification[status] = (verification[status] ?? 0) + 1
      }
    }
    stats = await handle.stats()
    workloadWallS = (now() - workloadStart) / 1000
  } finally {
    for (const t of timers) clearTimeout(t)
    progress.phase = 'stopping'
    run.onProgress?.({ ...progress })
    await handle.stopAll()
  }

  // --- join sends and deliveries
  const misbehaving = new Set(plan.misbehaving)
  for (const r of records) {
    const id = seqToId.get(r.seq)
    const sentWall = sentAtWall.get(r.seq)
    if (sentWall !== undefined) r.sentAt = sentWall - workloadStart
    const queuedWall = queuedAtWall.get(r.seq)
    if (queuedWall !== undefined) r.queuedAt = queuedWall - workloadStart
    const d = id === undefined ? undefined : (deliveries.get(id) ?? committedAtEnd.get(id))
    if (d !== undefined && sentWall !== undefined) {
      r.deliveredAt = d.at - workloadStart
      r.latencyMs = Math.max(0, d.at - sentWall)
      r.duplicates = d.count - 1
      r.status = 'delivered'
    } else if (r.sentAt === null) r.status = 'not-sent'
    else if (misbehaving.has(r.to)) r.status = 'undeliverable'
    else r.status = id !== undefined && queuedAtEnd.has(id) ? 'queued' : 'lost'
  }
  const delivered = records.filter((r) => r.status === 'delivered')
  const okLookups = lookups.filter((l) => l.ok)
  const summary: Summary = {
    nodes: s.nodes,
    seed: s.seed,
    transport: s.transport,
    workers: run.workers,
    messages: {
      planned: records.length,
      sent: records.filter((r) => r.sentAt !== null).length,
      delivered: delivered.length,
      duplicates: records.reduce((a, r) => a + r.duplicates, 0),
      queued: records.filter((r) => r.status === 'queued').length,
      lost: records.filter((r) => r.status === 'lost').length,
      undeliverable: records.filter((r) => r.status === 'undeliverable').length
    },
    latencyMs: distribution(delivered.map((r) => r.latencyMs!)),
    queuedMs: distribution(delivered.map((r) => r.queuedAt! - r.sentAt!)),
    deliveryMs: distribution(delivered.map((r) => Math.max(0, r.deliveredAt! - r.queuedAt!))),
    lookupMs: {
      ...distribution(okLookups.map((l) => l.ms!)),
      ok: okLookups.length,
      failed: lookups.length - okLookups.length
    },
    lookupFirstRecordMs: distribution(okLookups.flatMap((l) => (l.firstRecordMs === null ? [] : [l.firstRecordMs]))),
    bytesSent: stats.bytesSent,
    rssMB: { total: Math.round(stats.rss / 1048576), perNode: Math.round((stats.rss / 1048576 / s.nodes) * 100) / 100 },
    eventLoopDelayMs: { p50: Math.round(stats.loopDelayMs.p50), p99: Math.round(stats.loopDelayMs.p99) },
    cpuS: {
      forming: Math.round(cpuAtWorkload),
      workload: Math.round((stats.cpuS - cpuAtWorkload) * 10) / 10,
      workloadWallS: Math.round(workloadWallS * 10) / 10,
      cores: availableParallelism()
    },
    durationS: Math.round(now() - t0) / 1000,
    formationS: Math.round(formationS * 10) / 10,
    routableS: routableS === null ? null : Math.round(routableS * 10) / 10,
    unpublished: unpublished.length,
    publishes: { ...publishes, workload: Math.max(0, stats.publishes.total - publishes.forming), when: s.publish },
    faults: summaryFaults,
    dht: reportedDht(stats.dht, run.nodeOptions?.dht),
    ...(plan.business !== undefined ? { verification } : {})
  }
  progress.phase = 'done'
  run.onProgress?.({ ...progress })
  return { summary, messages: records, lookups, forming, plan }
}

/**
 * The DHT settings to report: what the running nodes' kad-dht said it uses (SimStats.dht). Only when
 * no node was up to ask does it fall back to the options, kad-dht's defaults filled in (alpha 10,
 * disjoint paths = alpha).
 */
function reportedDht(live: SimStats['dht'], dht: MessengerInit['dht']): Summary['dht'] {
  if (live.length > 1) log.error('nodes ran with different DHT settings: %o; reporting the first', live)
  if (live[0] !== undefined) return live[0]
  const alpha = dht?.alpha ?? 10
  return { alpha, disjointPaths: dht?.disjointPaths ?? alpha, verifyNewContacts: dht?.verifyNewContacts ?? true }
}

/**
 * Nodes that may still lack a published profile when the workload starts, as a share of the run's
 * nodes (10 of 5,000, 2 of 1,000, none below 500), and how long none may have published before
 * the run stops waiting for them.
 */
const STRAGGLERS = { share: 0.002, quietMs: 120_000 }

/**
 * Wait until the nodes' republishing has calmed: at most `allowed` of them (a straggler's share,
 * STRAGGLERS) with a put running, due within 10 s, or a republish finished within 10 s, at two
 * reads in a row, or until the deadline. A network that has just doubled republishes every record
 * (Directory's growth republish), and a workload started meanwhile measures those puts' CPU: at
 * 2,000 nodes on 4 workers, messages took p50 4.4 s with both cores busy. Returns the put counts.
 */
export async function waitQuiet(init: {
  handle: Pick<ClusterHandle, 'stats'>
  allowed: number
  deadline: number
  /** @default 2000 */
  pollMs?: number
  onActivity?(republishing: number): void
}): Promise<PublishActivity> {
  let calmReads = 0
  for (;;) {
    const { publishes } = await init.handle.stats()
    const busy = publishes.active + publishes.recent
    calmReads = busy <= init.allowed ? calmReads + 1 : 0
    if (calmReads >= 2) return publishes
    if (now() >= init.deadline) {
      log('%d nodes were still republishing at the warm-up deadline; starting anyway', busy)
      return publishes
    }
    init.onActivity?.(busy)
    await sleep(init.pollMs ?? 2_000)
  }
}

/**
 * Wait until the network is routable: every node has published its profile (or all but a few
 * stragglers, see STRAGGLERS), and lookups of a sample of random published nodes from random nodes
 * all succeed (bounded by the scenario's warm-up time). Returns the nodes still unpublished.
 */
async function waitRoutable(
  handle: ClusterHandle,
  s: Scenario,
  plan: Plan,
  published: Set<number>,
  onPublished: () => void,
  onProbe: (probe: { found: number; of: number }) => void
): Promise<{ unpublished: number[]; routable: boolean }> {
  const deadline = now() + s.warmup * 1000
  const all = Array.from({ length: s.nodes }, (_, i) => i)
  const unpublished = await waitPublished(handle, all, deadline, published, onPublished, {
    stragglers: { max: Math.floor(s.nodes * STRAGGLERS.share), quietMs: STRAGGLERS.quietMs }
  })
  if (unpublished.length > 0) log('starting with %d nodes unpublished: %o', unpublished.length, unpublished)
  const honest = all.filter((i) => !plan.misbehaving.includes(i) && published.has(i))
  const routable = await probeUntilFound(handle, honest, derive(s.seed, 'warmup'), deadline, {}, onProbe)
  if (!routable) log('the network did not become fully routable within %ds; starting anyway', s.warmup)
  return { unpublished, routable }
}

/**
 * Rounds of resolves between 10 random pairs of `nodes` (fewer in a smaller network), until one
 * round finds every target (true) or `deadline` passes (false).
 */
async function probeUntilFound(
  handle: ClusterHandle,
  nodes: number[],
  rng: ReturnType<typeof derive>,
  deadline: number,
  options: { askRecipient?: boolean },
  onProbe: (probe: { found: number; of: number }) => void
): Promise<boolean> {
  while (now() < deadline) {
    const probes = Array.from({ length: Math.min(10, nodes.length) }, () => {
      const a = nodes[rng.int(nodes.length)]!
      const b = nodes[rng.int(nodes.length)]!
      return a === b ? Promise.resolve(true) : handle.lookup(a, b, options).then((r) => r.ok)
    })
    const found = (await Promise.all(probes)).filter(Boolean).length
    onProbe({ found, of: probes.length })
    if (found === probes.length) return true
    await sleep(500)
  }
  return false
}
