import { logger } from '@libp2p/logger'
import { type Identity, peerIdToBytes } from '../identity/index.ts'
import {
  createProfileRecord,
  DEFAULT_PROFILE_TTL_MS,
  type ProfileContent,
  type VerifiedProfile,
  verifyProfileRecord
} from './record.ts'
import { profileKey } from './validator.ts'

const log = logger('parley:directory')

/** The part of a Kad-DHT the directory uses (kad-dht's put/get event streams). */
export interface DhtLike {
  put(key: Uint8Array, value: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<DhtEvent>
  get(key: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<DhtEvent>
}

/** kad-dht query events: PEER_RESPONSE carries a peer's record as it arrives; VALUE the final best. */
export interface DhtEvent {
  name: string
  messageName?: string
  value?: Uint8Array
  record?: { value: Uint8Array } | null
}

/** A persistent cache of resolved records (the store's peers table). */
export interface ProfileCache {
  get(peerId: string): Uint8Array | undefined
  put(peerId: string, record: Uint8Array, seq: number, expiresAt: number): void
  delete(peerId: string): void
}

/**
 * How one DHT lookup went. A lookup ends `settleMs` after its first valid record, or at once
 * with `quorum` of them, so `ms` is the DHT's time to a first record plus that policy's wait.
 */
export interface LookupStats {
  /** From the start to the lookup's end. */
  ms: number
  /** From the start to the first valid record (this node's own copy counts); undefined: none. */
  firstRecordMs: number | undefined
  /** Valid records seen. */
  records: number
}

export interface ResolveOptions {
  /** Skip the caches and ask the DHT. */
  fresh?: boolean
  signal?: AbortSignal
  /** Called with the DHT lookup's figures when this call waited on one (not on a cache hit). */
  onLookup?(stats: LookupStats): void
  /**
   * Called once with the first valid record a DHT lookup finds, before the lookup settles on the
   * newest. Its addresses are good for opening a connection early (a stale one fails the dial);
   * its keys are not to be used, since a peer that missed a republish serves an older record.
   */
  onFirstRecord?(profile: VerifiedProfile): void
  /**
   * Ask the peer itself for its record: at once if `now` (a connection to it is open), beside the
   * lookup if its addresses are `known`, else on the lookup's first record, whose addresses let
   * `ask` reach it, or with no addresses (`ask` finds them by peer routing) when the lookup finds
   * no record at all. A node is the one authority on its
   * newest profile, so a valid answer ends this resolve without waiting for the lookup to settle
   * (the lookup runs on for anyone else waiting on it). No answer, or a bad one: the lookup decides.
   */
  askPeer?: AskPeer
}

/** How a resolve asks a peer for its own record (ResolveOptions.askPeer). */
export interface AskPeer {
  /** A connection to the peer is open: ask before any lookup. */
  now: boolean
  /**
   * No connection, but the peer's addresses are known (a DHT reply named it): ask at once, beside
   * the lookup, not at its first record. If that fails (stale addresses), ask at the first record's.
   */
  known?: boolean
  /**
   * The peer's record as it answers (verified by the directory), or undefined if it has none.
   * `first` is the record whose addresses to reach it at; undefined: the addresses are known
   * already, or must be found by peer routing.
   */
  ask(first: VerifiedProfile | undefined, signal: AbortSignal): Promise<Uint8Array | undefined>
}

export interface DirectoryInit {
  dht: DhtLike
  identity: Pick<Identity, 'peerId' | 'signer' | 'currentEncryptionKey'>
  /** What to publish now (addresses, name, attestation...). */
  content(): ProfileContent
  /** The next sequence number: strictly greater than any published before, across restarts. */
  nextSeq(): number
  /** @default DEFAULT_PROFILE_TTL_MS (24 h) */
  ttlMs?: number
  cache?: ProfileCache
  /** A record this node holds itself as a DHT server (kad-dht's get reports it only at the end). */
  localRecord?(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Stop a lookup this long after the first valid record, unless `quorum` records came first. @default 250 */
  settleMs?: number
  /** @default 3 */
  quorum?: number
  /**
   * A lookup started for a resolve that asks the peer (not over an open connection) ends at its
   * first valid record: the peer is asked at that record's addresses, and its own answer is the
   * newest there is. Only if it gives none does a second lookup run to settle on the newest
   * record. The rest of the first walk would only compete for the CPU with the dial and the
   * question. @default true
   */
  endLookupWhenAsking?: boolean
  /** @default 15_000 */
  lookupTimeoutMs?: number
  /** DHT queries a lookup makes at most while none has found a valid record. @default 2 */
  lookupQueries?: number
  /**
   * After a put nobody stored, publish again in baseMs, doubling per failure up to capMs.
   * @default PUBLISH_RETRY
   */
  publishRetry?: { baseMs: number; capMs: number }
  /** This node's estimate of how many DHT servers there are (net's networkSizeOf), checked on `connected()`. */
  networkSize?(): number | undefined
  /**
   * Publish again, after delayMs, once networkSize() is `factor` times what it was baselineMs
   * after the last publish (see GROWTH_REPUBLISH).
   * @default GROWTH_REPUBLISH
   */
  growthRepublish?: { factor: number; delayMs: number; baselineMs: number }
  now?: () => number
}

export interface PublishResult {
  seq: number
  expiresAt: number
  /** DHT servers that stored it. */
  acks: number
  /** When the put ended: Date.now(), the clock publishDueInMs and the publish timers run on (not `now()`). */
  at: number
}

export interface Directory {
  /** Sign and put this node's profile; resolves once the put has run its course. */
  publish(options?: { signal?: AbortSignal }): Promise<PublishResult>
  /** The freshest valid profile of a peer: cache first (unless `fresh`), else the DHT. */
  resolve(peerId: string, options?: ResolveOptions): Promise<VerifiedProfile | undefined>
  /** A cached, unexpired profile without a lookup. */
  cached(peerId: string): VerifiedProfile | undefined
  /** Forget a cached profile (after a failed dial, so the next resolve asks the DHT). */
  invalidate(peerId: string): void
  /**
   * Sign this node's profile without putting it, so the node can answer a peer that asks for it
   * (`own`) while its put is held back (a simulator forming a network). `publish` signs anew.
   */
  sign(): VerifiedProfile
  /** Republish every ttl/2, sooner after a put nobody stored, and on `changed()`. */
  start(): void
  stop(): void
  /** Something in the profile changed: republish soon. */
  changed(): void
  /** A new connection: if the last publish reached nobody, try again soon. */
  connected(): void
  /** The record last published. */
  readonly own: VerifiedProfile | undefined
  /** How the last completed publish went (a simulator waits for acks before the next nodes join). */
  readonly lastPublish: PublishResult | undefined
  /** Puts this directory has made (republishes included), so a simulator can tell when they calm down. */
  readonly publishes: number
  /** 0 while a put runs, else ms until the next scheduled one (Infinity when stopped). */
  publishDueInMs(): number
}

/**
 * A node without a stored profile cannot be written to, so a failed publish is retried soon: the
 * delay doubles from 2 s and stops at 30 s. An online node whose puts timed out (a busy or
 * churning network) is findable again within half a minute of the network calming down; with the
 * earlier 5-minute cap it could stay unfindable for minutes. An offline node pays nothing: a
 * kad-dht put that finds no peer sends nothing and waits for its own 60-s timeout.
 */
export const PUBLISH_RETRY = { baseMs: 2_000, capMs: 30_000 }

/**
 * A put stores a record on the K servers closest to its key at that moment, and a lookup
 * converges on the K closest when it runs. In a network that grows (a launch, a simulation
 * forming), new servers land between the key and its holders: once the network is twice the size
 * it was at the publish, about half of today's closest hold the record; at twenty times, about
 * one. kad-dht leaves handing records on to the publisher's republish, 12 h away, so the
 * publisher publishes again whenever its estimate of the network has doubled: about log2(growth)
 * extra puts over a node's life, none in a network that does not grow. 5 s spreads the puts of
 * nodes that see the same growth at once.
 *
 * The size a later check compares with is read baselineMs after the publish, not at it: a node
 * that has just joined publishes before its self-lookup has filled its own neighbourhood, and its
 * table then reads a network of hundreds as a few dozen, so joiners republished as soon as their
 * tables caught up (400 nodes formed with 526 CPU-s against 442). Nor is the put's own sample of the key's neighbourhood a good baseline:
 * with the simulator's light DHT settings a put stops short of the true closest servers, reads
 * the network as smaller than it is, and the next check found it "doubled" every time.
 */
export const GROWTH_REPUBLISH = { factor: 2, delayMs: 5_000, baselineMs: 10_000 }

/**
 * How long a resolve waits for a connected peer's own answer before it looks the peer up instead:
 * one round trip on an open connection, with room for a slow link.
 */
const ASK_CONNECTED_MS = 2_000

/** How often `connected()` reads the network-size estimate at most (it walks the routing table). */
const GROWTH_CHECK_MS = 1_000

/** A DHT lookup in flight, shared by every resolve of the same peer meanwhile. */
interface Lookup {
  result: Promise<{ profile: VerifiedProfile | undefined; stats: LookupStats }>
  /** The first valid record, once one came. */
  first?: VerifiedProfile
  /** Callers' onFirstRecord, to call when it comes. */
  listeners: Array<(p: VerifiedProfile) => void>
  /** Resolves still waiting for an answer; the last one to get it stops the lookup. */
  waiting: number
  /** Ends the lookup early, once no resolve waits for it (the peer itself answered). */
  stop: AbortController
  /**
   * It ends at its first valid record (endLookupWhenAsking), not at a quorum or the settle wait;
   * a resolve that does not ask the peer, joining it, makes it settle as usual.
   */
  quick: boolean
}

/** A caller's onFirstRecord must not break the lookup it listens to. */
function notify(listener: (p: VerifiedProfile) => void, first: VerifiedProfile): void {
  try {
    listener(first)
  } catch (err) {
    log.error('onFirstRecord threw: %s', (err as Error).message)
  }
}

/**
 * The first of two answers that is a profile; undefined if neither is. A rejection counts as no
 * profile unless both fail, so a lookup that throws still loses to a peer that answered.
 */
function firstFound(
  a: Promise<VerifiedProfile | undefined>,
  b: Promise<VerifiedProfile | undefined>
): Promise<VerifiedProfile | undefined> {
  return new Promise((resolve, reject) => {
    let pending = 2
    let failure: unknown
    const none = (): void => {
      if (--pending > 0) return
      if (failure !== undefined) reject(failure)
      else resolve(undefined)
    }
    for (const p of [a, b]) {
      p.then(
        (found) => (found !== undefined ? resolve(found) : none()),
        (err: unknown) => {
          failure = err
          none()
        }
      )
    }
  })
}

/** What `p` resolves to within `ms`, else undefined (without keeping a timer past the answer). */
async function within<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Publishing this node's profile and resolving others'. */
export function createDirectory(init: DirectoryInit): Directory {
  const ttlMs = init.ttlMs ?? DEFAULT_PROFILE_TTL_MS
  const settleMs = init.settleMs ?? 250
  const quorum = init.quorum ?? 3
  const endLookupWhenAsking = init.endLookupWhenAsking !== false
  const lookupTimeoutMs = init.lookupTimeoutMs ?? 15_000
  const lookupQueries = init.lookupQueries ?? 2
  const retry = init.publishRetry ?? PUBLISH_RETRY
  const growth = init.growthRepublish ?? GROWTH_REPUBLISH
  // at a factor of 1 or less every check would find the network "grown": a put a second
  if (!(growth.factor > 1)) throw new RangeError(`growthRepublish.factor must be above 1, not ${growth.factor}`)
  const now = init.now ?? Date.now
  const memory = new Map<string, VerifiedProfile>()
  const inflight = new Map<string, Lookup>()
  let own: VerifiedProfile | undefined
  let lastPublish: PublishResult | undefined
  /** The content of the publish in flight or last made (JSON), for `changed()` to compare with. */
  let publishedContent: string | undefined
  let timer: NodeJS.Timeout | undefined
  let running = false
  let publishing: Promise<PublishResult> | undefined
  let again = false
  /** The network-size estimate baselineMs after the last publish that reached someone. */
  let baseline: number | undefined
  /** When to read the baseline (performance.now()), once a publish has reached someone. */
  let baselineAt: number | undefined
  let growthCheckedAt = Number.NEGATIVE_INFINITY
  let publishes = 0
  /** Puts running now (`publish()` may be called beside the scheduled ones). */
  let putsRunning = 0

  /**
   * What a profile says, to tell whether it changed: the content and the current encryption key,
   * which the record takes from the identity (a rotated key must be published, not wait for the
   * next scheduled republish while senders seal to the retired one).
   */
  const contentOf = (content: ProfileContent): string =>
    JSON.stringify([content, Buffer.from(init.identity.currentEncryptionKey().id).toString('hex')])

  const remember = (p: VerifiedProfile): void => {
    const current = memory.get(p.peerId)
    if (current !== undefined && current.seq > p.seq) return
    memory.set(p.peerId, p)
    init.cache?.put(p.peerId, p.bytes, p.seq, p.expiresAt)
  }

  const cached = (peerId: string): VerifiedProfile | undefined => {
    const t = now()
    let p = memory.get(peerId)
    if (p === undefined && init.cache !== undefined) {
      const bytes = init.cache.get(peerId)
      if (bytes !== undefined) {
        try {
          p = verifyProfileRecord(bytes, { now: t })
          memory.set(peerId, p)
        } catch {
          init.cache.delete(peerId)
        }
      }
    }
    if (p !== undefined && p.expiresAt <= t) {
      memory.delete(peerId)
      return undefined
    }
    return p
  }

  /** Ask a peer for its own record (ResolveOptions.askPeer); undefined unless it gave a valid one. */
  const askPeer = async (
    peerId: string,
    first: VerifiedProfile | undefined,
    ask: AskPeer,
    signal: AbortSignal
  ): Promise<VerifiedProfile | undefined> => {
    try {
      const bytes = await ask.ask(first, signal)
      if (bytes === undefined) return undefined
      const p = verifyProfileRecord(bytes, { expectedPeer: peerIdToBytes(peerId), now: now() })
      // its own record is never older than a copy it published: an answer that is has lost its state
      if (first !== undefined && p.seq < first.seq) {
        log('%s answered with profile seq %d, older than seq %d in the DHT', peerId, p.seq, first.seq)
        return undefined
      }
      remember(p)
      return p
    } catch (err) {
      log('asking %s for its profile failed: %s', peerId, (err as Error).message)
      return undefined
    }
  }

  const lookup = async (
    peerId: string,
    signal: AbortSignal,
    onFirst: (p: VerifiedProfile) => void,
    enough: () => number
  ): Promise<{ profile: VerifiedProfile | undefined; stats: LookupStats }> => {
    const started = performance.now()
    let firstRecordMs: number | undefined
    let expectedPeer: Uint8Array
    try {
      expectedPeer = peerIdToBytes(peerId)
    } catch {
      // no record can ever be valid for it: nothing to look up
      return { profile: undefined, stats: { ms: 0, firstRecordMs: undefined, records: 0 } }
    }
    const key = profileKey(peerId)
    const found: VerifiedProfile[] = []
    const controller = new AbortController()
    const both = AbortSignal.any([signal, controller.signal])
    let settle: NodeJS.Timeout | undefined
    const consider = (value: Uint8Array): boolean => {
      try {
        // the profile rule in full (the DHT's validator checked it too; this is the reader's own check)
        found.push(verifyProfileRecord(value, { expectedPeer, now: now() }))
      } catch (err) {
        log('ignoring an invalid record for %s: %s', peerId, (err as Error).message)
        return false
      }
      if (firstRecordMs === undefined) {
        firstRecordMs = performance.now() - started
        onFirst(found[0]!)
      }
      settle ??= setTimeout(() => controller.abort(), settleMs)
      return found.length >= enough()
    }
    try {
      const local = await init.localRecord?.(key)
      if (local !== undefined) consider(local)
      // A query that ends with no valid record (this node's own copy counts) runs once more: it
      // starts again from the routing table, which now holds the peers the first one met.
      for (let query = 0; query < lookupQueries && (query === 0 || found.length === 0) && !both.aborted; query++) {
        try {
          for await (const event of init.dht.get(key, { signal: both })) {
            const value =
              event.name === 'VALUE' ? event.value : event.name === 'PEER_RESPONSE' ? event.record?.value : undefined
            if (value !== undefined && consider(value)) break
          }
        } catch (err) {
          if (found.length === 0 && !both.aborted) log('lookup of %s failed: %s', peerId, (err as Error).message)
        }
      }
    } finally {
      clearTimeout(settle)
    }
    const stats = { ms: performance.now() - started, firstRecordMs, records: found.length }
    if (found.length === 0) return { profile: undefined, stats }
    let best = found[0]!
    for (const p of found) if (p.seq > best.seq || (p.seq === best.seq && p.expiresAt > best.expiresAt)) best = p
    return { profile: best, stats }
  }

  /** Sign the profile with the next seq and make it `own`, the record this node answers with. */
  const sign = (content = init.content()): VerifiedProfile => {
    const issuedAt = now()
    const bytes = createProfileRecord(init.identity, content, {
      seq: init.nextSeq(),
      issuedAt,
      expiresAt: issuedAt + ttlMs
    })
    own = verifyProfileRecord(bytes, { now: issuedAt })
    return own
  }

  const publish = async (options: { signal?: AbortSignal } = {}): Promise<PublishResult> => {
    const content = init.content()
    publishedContent = contentOf(content)
    const { seq, expiresAt, bytes } = sign(content)
    let acks = 0
    putsRunning++
    try {
      for await (const event of init.dht.put(profileKey(init.identity.peerId), bytes, {
        signal: options.signal ?? AbortSignal.timeout(60_000)
      })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') acks++
      }
    } catch (err) {
      log('publishing profile seq %d stopped early: %s', seq, (err as Error).message)
    } finally {
      putsRunning--
    }
    log('published profile seq %d to %d peers', seq, acks)
    if (acks > 0) {
      baseline = undefined
      baselineAt = performance.now() + growth.baselineMs
    }
    publishes++
    lastPublish = { seq, expiresAt, acks, at: Date.now() }
    return lastPublish
  }

  let dueAt = Number.POSITIVE_INFINITY
  /** Publish in `ms`, unless a publish is already due sooner (`force`: replace it whatever). */
  const schedule = (ms: number, force = true): void => {
    if (!running) return
    const at = Date.now() + ms
    if (!force && at >= dueAt) return
    clearTimeout(timer)
    dueAt = at
    timer = setTimeout(() => {
      dueAt = Number.POSITIVE_INFINITY
      void runPublish()
    }, ms)
    timer.unref()
  }

  let failures = 0
  const runPublish = async (): Promise<PublishResult | undefined> => {
    if (publishing !== undefined) {
      again = true
      return publishing
    }
    publishing = publish()
    try {
      const result = await publishing
      failures = result.acks === 0 ? failures + 1 : 0
      // nobody stored it (no peers yet? timed out?): retry with backoff, at most every capMs
      schedule(result.acks === 0 ? Math.min(retry.capMs, retry.baseMs * 2 ** (failures - 1)) : ttlMs / 2)
      return result
    } finally {
      publishing = undefined
      if (again) {
        again = false
        schedule(0)
      }
    }
  }

  return {
    publish: async (options) => {
      const result = await publish(options)
      if (running) schedule(result.acks === 0 ? retry.baseMs : ttlMs / 2)
      return result
    },
    async resolve(peerId, options = {}) {
      if (options.fresh !== true) {
        const hit = cached(peerId)
        if (hit !== undefined) return hit
      }
      const ask = options.askPeer
      if (ask?.now === true) {
        // bounded: a connected peer that hangs must not hold the lookup back for the caller's whole wait
        const bound = AbortSignal.timeout(ASK_CONNECTED_MS)
        const own = await askPeer(
          peerId,
          undefined,
          ask,
          options.signal ? AbortSignal.any([options.signal, bound]) : bound
        )
        if (own !== undefined) return own
      }
      // a resolve that asks the peer wants from the lookup only the addresses of a first record
      const quick = endLookupWhenAsking && ask !== undefined && !ask.now
      let l = inflight.get(peerId)
      if (l === undefined) {
        const listeners: Lookup['listeners'] = []
        const stop = new AbortController()
        const lookupSignal = AbortSignal.any([options.signal ?? AbortSignal.timeout(lookupTimeoutMs), stop.signal])
        const shared: Lookup = {
          listeners,
          waiting: 0,
          stop,
          quick,
          result: lookup(
            peerId,
            lookupSignal,
            (first) => {
              shared.first = first
              for (const listener of listeners) notify(listener, first)
            },
            () => (shared.quick ? 1 : quorum)
          ).finally(() => {
            // a stopped lookup may end after a newer one for the same peer has started
            if (inflight.get(peerId) === shared) inflight.delete(peerId)
          })
        }
        inflight.set(peerId, shared)
        l = shared
      }
      const lookupDone = l
      // this resolve wants the newest record: the lookup must not end at its first
      if (!quick) lookupDone.quick = false
      lookupDone.waiting++
      const release = (): void => {
        if (--lookupDone.waiting > 0) return
        // Nobody waits for it any more: the peer's own answer ended the last resolve (otherwise the
        // lookup has ended already). Its remaining queries would only spend connections and CPU.
        if (inflight.get(peerId) === lookupDone) inflight.delete(peerId)
        lookupDone.stop.abort()
      }
      const listen = (listener: (first: VerifiedProfile) => void): void => {
        if (lookupDone.first !== undefined) notify(listener, lookupDone.first)
        else lookupDone.listeners.push(listener)
      }
      if (options.onFirstRecord !== undefined) listen(options.onFirstRecord)
      const settled = l.result.then(({ profile, stats }) => {
        options.onLookup?.(stats)
        if (profile !== undefined) remember(profile)
        return profile ?? cached(peerId)
      })
      if (ask === undefined || ask.now) return settled.finally(release)
      // The peer's own answer, asked on the first record, ends the resolve when it comes. A quick
      // lookup ends at that record, so the peer has 2 × settleMs before a second lookup settles;
      // a lookup that settles (a quorum of holders answered at once) leaves it settleMs. Holders
      // may all serve a record it has since replaced.
      const signal = options.signal ?? AbortSignal.timeout(lookupTimeoutMs)
      // the question, asked once the first record gives the peer's addresses; none if no record came
      // (a first record always comes before the lookup's result)
      const onFirstRecord = (): Promise<{ answer: Promise<VerifiedProfile | undefined> } | undefined> =>
        new Promise((resolve) => {
          listen((first) => resolve({ answer: askPeer(peerId, first, ask, signal) }))
          const none = (): void => resolve(undefined)
          l.result.then(none, none)
        })
      // addresses already known: ask at once; only if that brings nothing, ask at the first record's
      const question =
        ask.known === true
          ? Promise.resolve({
              answer: askPeer(peerId, undefined, ask, signal).then(
                async (own) => own ?? (await (await onFirstRecord())?.answer)
              )
            })
          : onFirstRecord()
      const fromPeer = question.then((q) => q?.answer)
      const settledOrPeer = settled.then(async (found) => {
        const q = await question
        // No record anywhere (a put that found no one, records lost with their holders, expired):
        // the peer may still be up. Asked without addresses, it is found by DHT peer routing.
        if (q === undefined) return found ?? (await askPeer(peerId, undefined, ask, signal))
        if (!lookupDone.quick) return (await within(q.answer, settleMs)) ?? found
        // the lookup stopped at its first record, which may be older than others held: only the
        // peer's own answer may end this resolve early; without one, settle on the newest record
        const own = await within(q.answer, 2 * settleMs)
        if (own !== undefined) return own
        // (a late answer still wins the race with this lookup: firstFound below)
        const again = await lookup(
          peerId,
          signal,
          () => {},
          () => quorum
        )
        options.onLookup?.(again.stats)
        if (again.profile !== undefined) remember(again.profile)
        return again.profile !== undefined && (found === undefined || again.profile.seq >= found.seq)
          ? again.profile
          : found
      })
      return firstFound(fromPeer, settledOrPeer).finally(release)
    },
    cached,
    sign: () => sign(),
    invalidate(peerId) {
      memory.delete(peerId)
    },
    start() {
      running = true
      schedule(0)
    },
    stop() {
      running = false
      clearTimeout(timer)
    },
    changed() {
      // a node's addresses are announced more than once as it starts: a profile that reads the
      // same as the one being (or last) published needs no second put to K peers
      if (publishedContent !== undefined && publishedContent === contentOf(init.content())) return
      schedule(500, false)
    },
    connected() {
      // nobody stored our record last time (we knew no peers yet): a new peer is a chance
      if (lastPublish?.acks === 0) schedule(1_000, false)
      if (baselineAt === undefined || init.networkSize === undefined || !running) return
      const t = performance.now()
      if (t < baselineAt || t - growthCheckedAt < GROWTH_CHECK_MS) return
      growthCheckedAt = t
      const size = init.networkSize()
      if (size === undefined) return
      if (baseline === undefined) {
        baseline = size
      } else if (size >= baseline * growth.factor) {
        log('the network grew from about %d to %d servers since the last publish: publishing again', baseline, size)
        schedule(growth.delayMs, false)
      }
    },
    get own() {
      return own
    },
    get lastPublish() {
      return lastPublish
    },
    get publishes() {
      return publishes
    },
    publishDueInMs() {
      if (putsRunning > 0) return 0
      return running ? Math.max(0, dueAt - Date.now()) : Number.POSITIVE_INFINITY
    }
  }
}
