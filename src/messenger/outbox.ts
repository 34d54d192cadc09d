import { logger } from '@libp2p/logger'
import { ChannelClosedError, errorMessage, PeerUnreachableError } from '../errors.ts'
import type { AckFrame, MessageClient } from '../net/index.ts'
import type { Message, OutboxEntry, Store } from '../store/index.ts'
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts'

const log = logger('parley:messenger:outbox')
/** While deliveries are in flight, look for other due rows at least this often. */
const DUE_RECHECK_MS = 1_000

export interface OutboxWorkerInit {
  store: Store
  client: MessageClient
  /** @default DEFAULT_BACKOFF (1 s doubling, 5 min cap, jitter) */
  backoff?: BackoffPolicy
  /**
   * Seal a message that was queued before its recipient's key was known (empty envelope). Resolves
   * undefined while the recipient still cannot be found; the entry is retried with backoff.
   */
  sealPending?(entry: OutboxEntry): Promise<Uint8Array | undefined>
  onSent(ids: string[], to: string): void
  onFailed(messages: Array<{ id: string; to: string; error: string }>): void
  /** Peers delivered to at the same time. @default 8 */
  concurrency?: number
  /** Envelopes handed to one stream per round. @default 256 */
  batch?: number
  now?: () => number
  random?: () => number
}

export interface OutboxWorker {
  start(): void
  stop(): Promise<void>
  /** Deliver to this peer now, whatever the backoff says (new connection, new message). */
  flushPeer(peerId: string): void
  /** Deliver everything pending now (after a restart). */
  flushAll(): void
  readonly stats: { attempts: number; sent: number; failed: number; retries: number }
}

/**
 * The durable outbox's worker. Every message is already committed (with its envelope) before
 * this sees it; it sends the stored bytes as they are, marks them sent on an ack, retries with
 * exponential backoff and jitter on failure, and fails them only after the give-up time.
 */
export function createOutboxWorker(init: OutboxWorkerInit): OutboxWorker {
  const { store, client } = init
  const policy = init.backoff ?? DEFAULT_BACKOFF
  const now = init.now ?? Date.now
  const random = init.random ?? Math.random
  const concurrency = init.concurrency ?? 8
  const batchSize = init.batch ?? 256
  const busy = new Set<string>()
  const again = new Set<string>()
  const forced = new Set<string>()
  const waiting: string[] = []
  let timer: NodeJS.Timeout | undefined
  let running = false
  const active = new Set<Promise<void>>()
  const stats = { attempts: 0, sent: 0, failed: 0, retries: 0 }
  /** The earliest retry this worker scheduled since the last tick (the store cannot tell it apart from in-flight rows). */
  let retryAt = Number.POSITIVE_INFINITY

  const retryLater = (entries: OutboxEntry[], error: string, delayFor?: (e: OutboxEntry) => number): void => {
    const at = now()
    for (const e of entries) {
      stats.retries++
      const delay = delayFor?.(e) ?? backoffDelay(e.attempts, policy, random)
      store.recordAttemptFailure(e.messageId, { at, nextAttemptAt: at + delay, error })
      retryAt = Math.min(retryAt, at + delay)
    }
  }

  const handleAcks = (peerId: string, entries: OutboxEntry[], acks: AckFrame[]): void => {
    const sent: string[] = []
    const failed: Array<{ id: string; to: string; error: string }> = []
    const retry: Array<{ e: OutboxEntry; ack: AckFrame }> = []
    entries.forEach((e, i) => {
      const ack = acks[i]!
      if (ack.status === 'ok' || ack.status === 'duplicate') sent.push(e.messageId)
      else if (ack.status === 'refused')
        failed.push({ id: e.messageId, to: peerId, error: `refused by recipient: ${ack.reason ?? 'no reason'}` })
      else retry.push({ e, ack })
    })
    if (sent.length > 0) {
      const changed = store.markSent(sent, now())
      stats.sent += changed.length
      if (changed.length > 0) init.onSent(changed, peerId)
    }
    for (const f of failed) {
      if (store.markFailed(f.id, f.error, now())) stats.failed++
    }
    if (failed.length > 0) init.onFailed(failed)
    for (const { e, ack } of retry) {
      retryLater([e], `${ack.status}${ack.reason !== undefined ? `: ${ack.reason}` : ''}`, () =>
        ack.retryAfterMs !== undefined ? Math.max(ack.retryAfterMs, 50) : backoffDelay(e.attempts, policy, random)
      )
    }
  }

  const deliver = async (peerId: string): Promise<void> => {
    const force = forced.delete(peerId)
    const t = now()
    let entries = store.outboxFor(peerId, batchSize).filter((e) => (force || e.nextAttemptAt <= t) && e.giveUpAt > t)
    if (entries.length === 0) return
    const unsealed = entries.filter((e) => e.envelope.byteLength === 0)
    if (unsealed.length > 0) {
      let failure = 'recipient not found in the directory'
      for (const e of unsealed) {
        let bytes: Uint8Array | undefined
        try {
          bytes = await init.sealPending?.(e)
        } catch (err) {
          failure = `cannot seal: ${errorMessage(err)}`
        }
        // sealed once, stored, and from then on sent as these exact bytes
        if (bytes !== undefined && store.setEnvelope(e.messageId, bytes)) e.envelope = bytes
        else break
      }
      const still = entries.filter((e) => e.envelope.byteLength === 0)
      if (still.length > 0) retryLater(still, failure)
      entries = entries.filter((e) => e.envelope.byteLength > 0)
      if (entries.length === 0) return
    }
    stats.attempts++
    try {
      const acks = await client.send(
        peerId,
        entries.map((e) => e.envelope)
      )
      handleAcks(peerId, entries, acks)
      // more waiting beyond this batch?
      if (entries.length === batchSize) again.add(peerId)
    } catch (err) {
      const reason =
        err instanceof PeerUnreachableError || err instanceof ChannelClosedError
          ? err.message
          : `send failed: ${errorMessage(err)}`
      log('delivery to %s failed: %s', peerId, reason)
      retryLater(entries, reason)
    }
  }

  const outboxEmpty = (): boolean => {
    try {
      return store.nextOutboxAttemptAt() === null
    } catch {
      return false // let the delivery round meet the error and log it
    }
  }

  const pump = (): void => {
    while (running && active.size < concurrency && waiting.length > 0) {
      const peerId = waiting.shift()!
      if (busy.has(peerId)) {
        again.add(peerId)
        continue
      }
      busy.add(peerId)
      const p = deliver(peerId)
        .catch((err: Error) => log.error('outbox round for %s failed: %s', peerId, err.message))
        .finally(() => {
          busy.delete(peerId)
          active.delete(p)
          if (again.delete(peerId)) enqueue(peerId)
          pump()
          schedule()
        })
      active.add(p)
    }
  }

  const enqueue = (peerId: string): void => {
    if (!waiting.includes(peerId)) waiting.push(peerId)
    pump()
  }

  const tick = (): void => {
    if (!running) return
    const t = now()
    if (retryAt <= t) retryAt = Number.POSITIVE_INFINITY
    try {
      const expired: Message[] = store.expireOutbox(t)
      if (expired.length > 0) {
        stats.failed += expired.length
        init.onFailed(expired.map((m) => ({ id: m.id, to: m.to, error: m.error ?? 'gave up' })))
      }
      const due = store.dueOutbox(t, 1000)
      for (const peer of new Set(due.map((e) => e.recipient))) enqueue(peer)
    } catch (err) {
      log.error('outbox tick failed: %s', (err as Error).message)
    }
    schedule()
  }

  const schedule = (): void => {
    if (!running) return
    clearTimeout(timer)
    let next: number | null = null
    try {
      next = store.nextOutboxAttemptAt()
    } catch {
      next = null
    }
    // wake at the next due attempt, and at least every minute to expire old entries. Rows of a
    // delivery in flight stay due until their acks; rescanning for them on every turn of the event
    // loop (a busy loop) gains nothing, since the round's end reschedules. So while deliveries run,
    // wake for the retries this worker scheduled, or after DUE_RECHECK_MS.
    const t = now()
    let delay = next === null ? 60_000 : next - t
    if (delay <= 0 && (active.size > 0 || waiting.length > 0)) delay = Math.min(DUE_RECHECK_MS, retryAt - t)
    timer = setTimeout(tick, Math.min(60_000, Math.max(0, delay)))
    timer.unref()
  }

  return {
    stats,
    start() {
      running = true
      tick()
    },
    async stop() {
      running = false
      clearTimeout(timer)
      waiting.length = 0
      await Promise.allSettled([...active])
    },
    flushPeer(peerId) {
      if (!running) return
      // Every new connection asks. Most find the outbox empty, and one indexed MIN() says so for a
      // tenth of a delivery round's cost (its per-recipient read, its reschedule). The store stays
      // the judge: a row committed before this call is seen here.
      if (!busy.has(peerId) && outboxEmpty()) return
      forced.add(peerId)
      if (busy.has(peerId)) again.add(peerId)
      else enqueue(peerId)
    },
    flushAll() {
      if (!running) return
      const peers = new Set<string>()
      for (const e of store.dueOutbox(Number.MAX_SAFE_INTEGER, 10_000)) peers.add(e.recipient)
      for (const p of peers) this.flushPeer(p)
    }
  }
}
