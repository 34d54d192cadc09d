import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import type { ClusterHandle } from './handle.ts'

const log = logger('parley:sim:forming')

/** Wall-clock ms, as the runner's deadlines are. */
const now = (): number => Date.now()

/** How many seed nodes a joiner bootstraps through. */
export const BOOTSTRAP_SEEDS = 2

/**
 * A node's bootstrap list: BOOTSTRAP_SEEDS of the seeds, spread by its index, not all of them.
 * A batch of 50 joiners each dialling all 8 seeds at once is 400 Noise handshakes in a burst; on
 * the simulator's TCP link many stalled to the 10-s dial timeout (226 in a 108-node run on one
 * process, against 16 with 2 seeds), and a join waited on them. A real node's bootstrap list
 * names a handful of peers too.
 */
export function bootstrapFor(node: number, seedAddrs: readonly string[]): string[] {
  if (seedAddrs.length <= BOOTSTRAP_SEEDS) return [...seedAddrs]
  return Array.from({ length: BOOTSTRAP_SEEDS }, (_, k) => seedAddrs[(node + k) % seedAddrs.length]!)
}

/** Longest wait for one batch of joining nodes to publish before the next batch may start. */
export const BATCH_JOIN_WAIT_MS = 60_000

export interface JoinInit {
  handle: Pick<ClusterHandle, 'start' | 'published'>
  /** The nodes to start, in order (the seeds are already up). */
  joiners: number[]
  /** The seeds' addresses: a joiner bootstraps through some of them (bootstrapFor). */
  seedAddrs: string[]
  batch: number
  /** Past this (Date.now()), no wait holds a batch back. */
  deadline: number
  /** Nodes seen to publish (filled in; kept across waits, so none is asked twice). */
  published: Set<number>
  /** After a batch started, and after a poll round that found new publishers. */
  onChange(started: number): void
  /** Longest wait for one batch (BATCH_JOIN_WAIT_MS). */
  batchWaitMs?: number
}

/**
 * Start the joiners in batches. The next batch joins once this one's profiles are stored
 * somewhere (at most `batchWaitMs`), and never while more than half a batch of started nodes have
 * not published: joining all at once makes every node's first queries compete for the CPU, time
 * out and start over, and a network that stops keeping up (its seeds' accept queues full, 2,500
 * nodes on 4 workers) must drain before it grows, or every later joiner fails to bootstrap.
 */
export async function joinInBatches(init: JoinInit): Promise<void> {
  const { handle, joiners, published } = init
  const maxBacklog = Math.floor(init.batch / 2)
  let started = 0
  for (let i = 0; i < joiners.length; i += init.batch) {
    const joining = joiners.slice(i, i + init.batch)
    await Promise.all(joining.map((n) => handle.start(n, bootstrapFor(n, init.seedAddrs))))
    started += joining.length
    init.onChange(started)
    const report = (): void => init.onChange(started)
    const batchDeadline = Math.min(init.deadline, now() + (init.batchWaitMs ?? BATCH_JOIN_WAIT_MS))
    await waitPublished(handle, joining, batchDeadline, published, report)
    await waitPublished(handle, joiners.slice(0, i + joining.length), init.deadline, published, report, {
      missing: maxBacklog
    })
  }
}

/**
 * A joiner counts as joined once its routing table holds this many contacts (Kademlia's K), or once
 * a self-lookup of it has run its course with any contact at all. kad-dht enters only peers that
 * answered it or connected to it, so in a large network a joiner whose walk met fewer than K stays
 * short until others find it; its completed walk has still put it in its closest peers' tables,
 * which is what joining means. (Waiting for K alone, 8 workers at 2,000–2,600 nodes spent most of
 * each batch's minute idle.)
 */
export const JOINED_CONTACTS = 20

/**
 * A joiner that has not joined this long after it started (or after its last rejoin) looks itself
 * up again: its first self-query can time out on a busy machine, and kad-dht would run the next
 * one only at its interval, an hour in a simulation.
 */
export const REJOIN_AFTER_MS = 10_000

export interface JoinThenPublishInit extends Omit<JoinInit, 'handle'> {
  handle: Pick<ClusterHandle, 'start' | 'published' | 'publish' | 'joinState' | 'rejoin'>
  /** The seed nodes, started already with their profiles held back: they publish first. */
  seeds: number[]
  /** After a round that found newly joined nodes. */
  onJoined?(joined: number): void
  /** Once every node has joined (or the deadline passed), before any profile is put. */
  beforePublish?(): Promise<void>
  /** REJOIN_AFTER_MS, for a test. */
  rejoinAfterMs?: number
}

/**
 * Start the joiners in batches with their profiles held back, then publish every node's profile
 * in batches (bootstrap pacing, `"publish": "after-join"`). A joiner counts as joined once its
 * routing table holds JOINED_CONTACTS contacts (or every node up before it), or a self-lookup of it
 * has run its course (JOINED_CONTACTS says why); the pacing rules are
 * joinInBatches', with "joined" in place of "published" while joining. Each profile is then put
 * once, at the network's full size: put while the network was a tenth of it, it would sit on nodes
 * that are no longer its key's closest, and the growth republish would put it again at each doubling.
 */
export async function joinThenPublish(init: JoinThenPublishInit): Promise<void> {
  const { handle, joiners, published } = init
  const maxBacklog = Math.floor(init.batch / 2)
  const batchWaitMs = init.batchWaitMs ?? BATCH_JOIN_WAIT_MS
  const joined = new Set<number>()
  const up = init.seeds.length
  const rejoins = { lastAt: new Map<number, number>(), afterMs: init.rejoinAfterMs ?? REJOIN_AFTER_MS }
  let started = 0
  for (let i = 0; i < joiners.length; i += init.batch) {
    const joining = joiners.slice(i, i + init.batch)
    await Promise.all(joining.map((n) => handle.start(n, bootstrapFor(n, init.seedAddrs), { publish: false })))
    for (const n of joining) rejoins.lastAt.set(n, now())
    started += joining.length
    init.onChange(started)
    const need = Math.min(JOINED_CONTACTS, up + started - 1)
    const report = (): void => init.onJoined?.(joined.size)
    const batchDeadline = Math.min(init.deadline, now() + batchWaitMs)
    const wait = { handle, need, joined, onChange: report, rejoins }
    await waitJoined({ ...wait, nodes: joining, deadline: batchDeadline })
    await waitJoined({
      ...wait,
      nodes: joiners.slice(0, i + joining.length),
      deadline: init.deadline,
      missing: maxBacklog
    })
  }
  await init.beforePublish?.()
  const everyone = [...init.seeds, ...joiners]
  const report = (): void => init.onChange(started)
  for (let i = 0; i < everyone.length; i += init.batch) {
    const publishing = everyone.slice(i, i + init.batch)
    await Promise.all(publishing.map((n) => handle.publish(n)))
    const batchDeadline = Math.min(init.deadline, now() + batchWaitMs)
    await waitPublished(handle, publishing, batchDeadline, published, report)
    await waitPublished(handle, everyone.slice(0, i + publishing.length), init.deadline, published, report, {
      missing: maxBacklog
    })
  }
}

/**
 * Wait until at most `missing` of `nodes` have routing tables of `need` contacts, or `deadline`.
 * A node still short REJOIN_AFTER_MS after its start or last rejoin looks itself up again.
 */
async function waitJoined(w: {
  handle: Pick<ClusterHandle, 'joinState' | 'rejoin'>
  nodes: number[]
  need: number
  deadline: number
  joined: Set<number>
  onChange: () => void
  rejoins: { lastAt: Map<number, number>; afterMs: number }
  missing?: number
}): Promise<void> {
  const { handle, need, joined, rejoins } = w
  const missing = w.missing ?? 0
  let waiting = w.nodes.filter((i) => !joined.has(i))
  while (now() < w.deadline && waiting.length > missing) {
    const states = await Promise.all(waiting.map((i) => handle.joinState(i)))
    const before = joined.size
    for (const [k, i] of waiting.entries()) {
      const { contacts, selfLookups } = states[k]!
      if (contacts >= need || (selfLookups > 0 && contacts > 0)) joined.add(i)
    }
    if (joined.size > before) w.onChange()
    waiting = waiting.filter((i) => !joined.has(i))
    const t = now()
    for (const i of waiting) {
      if (t - (rejoins.lastAt.get(i) ?? t) < rejoins.afterMs) continue
      rejoins.lastAt.set(i, t)
      log('node %d has fewer than %d contacts: it looks itself up again', i, need)
      handle.rejoin(i).catch((err: unknown) => log('node %d could not rejoin: %s', i, (err as Error).message))
    }
    if (waiting.length > missing) await sleep(200)
  }
}

/** When a wait may end with some nodes still unpublished. */
export interface PublishWait {
  /** End as soon as at most this many lack a profile. @default 0 */
  missing?: number
  /**
   * Also end once at most `max` lack a profile and none has published for `quietMs`: a few
   * stragglers (4,994 of 5,000 at one run, the last 6 still missing 9 minutes on) must not hold
   * back a whole network's workload. They stay up and take part; the caller reports them.
   */
  stragglers?: { max: number; quietMs: number }
}

/**
 * Wait until the nodes have published (see PublishWait for when it may end sooner), or `deadline`
 * passed. Nodes seen to publish go into `published`; `onChange` runs after a round that added
 * some. Returns the nodes still without a stored profile.
 */
export async function waitPublished(
  handle: Pick<ClusterHandle, 'published'>,
  nodes: number[],
  deadline: number,
  published: Set<number>,
  onChange: () => void,
  wait: PublishWait = {}
): Promise<number[]> {
  const missing = wait.missing ?? 0
  let waiting = nodes.filter((i) => !published.has(i))
  let lastPublished = now()
  const enough = (): boolean =>
    waiting.length <= missing ||
    (wait.stragglers !== undefined &&
      waiting.length <= wait.stragglers.max &&
      now() - lastPublished >= wait.stragglers.quietMs)
  while (now() < deadline && !enough()) {
    const done = await Promise.all(waiting.map((i) => handle.published(i)))
    for (const [k, i] of waiting.entries()) if (done[k]) published.add(i)
    if (done.some(Boolean)) {
      lastPublished = now()
      onChange()
    }
    waiting = waiting.filter((i) => !published.has(i))
    if (!enough()) await sleep(200)
  }
  return waiting
}
