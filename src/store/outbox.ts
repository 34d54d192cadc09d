/**
 * The durable outbox. Every send is committed (message row 'queued' + outbox row with the exact
 * envelope bytes) before any attempt; an outbox row exists exactly while its message is 'queued'.
 * The caller owns the retry policy (backoff, jitter); the store keeps the schedule and the states:
 * queued → sent when the recipient (or a mailbox) acks; queued → failed past the give-up time, or
 * when the caller gives up for a reason it knows is final.
 */
import { DEFAULT_OUTBOX_GIVE_UP_MS, MAX_ENVELOPE_BYTES, MAX_STORE_LIST_LIMIT } from '../constants.ts'
import { StoreInputError } from '../errors.ts'
import { checkBatch, checkBytes, checkPeerId, checkTime, errorReason, listLimit, messageIdHex } from './check.ts'
import type { StoreContext } from './context.ts'
import { checkMessageFields } from './messages.ts'
import { MESSAGE_COLUMNS, OUTBOX_COLUMNS, toMessage, toOutboxEntry } from './rows.ts'
import type { AttemptFailure, EnqueueOutcome, Message, MessageIdInput, OutboxEntry, OutgoingMessage } from './types.ts'

export interface OutboxInit {
  /** @default DEFAULT_OUTBOX_GIVE_UP_MS (7 days) */
  giveUpMs?: number
}

export function createOutbox(ctx: StoreContext, init: OutboxInit = {}) {
  const { db } = ctx
  const giveUpMs = checkTime(init.giveUpMs ?? DEFAULT_OUTBOX_GIVE_UP_MS, 'giveUpMs')

  const exists = db.prepare('SELECT 1 FROM messages WHERE id = ?')
  const insertOut = db.prepare(`
    INSERT INTO messages (id, direction, peer, sender, recipient, content_type, body, text, created_at,
                          status, status_at, meta)
    VALUES ($id, 'out', $recipient, $sender, $recipient, $content_type, $body, $text, $created_at,
            'queued', $created_at, $meta)`)
  const insertEntry = db.prepare(`
    INSERT INTO outbox (message_id, recipient, envelope, attempts, created_at, next_attempt_at, give_up_at)
    VALUES ($id, $recipient, $envelope, 0, $created_at, $next_attempt_at, $give_up_at)`)
  const setSent = db.prepare(`
    UPDATE messages SET status = 'sent', status_at = ?, error = NULL
    WHERE id = ? AND direction = 'out' AND status IN ('queued', 'failed')`)
  const setFailed = db.prepare(`
    UPDATE messages SET status = 'failed', status_at = ?, error = ?
    WHERE id = ? AND direction = 'out' AND status = 'queued'`)
  const removeEntry = db.prepare('DELETE FROM outbox WHERE message_id = ?')
  const failAttempt = db.prepare(`
    UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?, next_attempt_at = ?
    WHERE message_id = ?`)
  const due = db.prepare(`
    SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE next_attempt_at <= $now AND give_up_at > $now
    ORDER BY next_attempt_at, created_at, message_id LIMIT $limit`)
  const forRecipient = db.prepare(`
    SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE recipient = ? ORDER BY created_at, message_id LIMIT ?`)
  const expired = db.prepare(`
    SELECT message_id, attempts, last_error FROM outbox WHERE give_up_at <= ?
    ORDER BY give_up_at, message_id LIMIT ?`)
  const getMessage = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`)
  const getEntry = db.prepare(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE message_id = ?`)
  const nextDue = db.prepare('SELECT min(next_attempt_at) AS at FROM outbox')
  const sealEntry = db.prepare('UPDATE outbox SET envelope = ? WHERE message_id = ? AND length(envelope) = 0')

  return {
    /**
     * Commit outgoing messages and their outbox rows in one transaction, before any attempt to send.
     * An id that is already stored changes nothing and is reported as 'duplicate'.
     */
    enqueueOutgoing(batch: readonly OutgoingMessage[]): EnqueueOutcome[] {
      const rows = checkBatch<OutgoingMessage>(batch, 'batch').map((m) => {
        const fields = checkMessageFields(m)
        return {
          ...fields,
          envelope: checkBytes(m.envelope, 'envelope', MAX_ENVELOPE_BYTES),
          next_attempt_at:
            m.nextAttemptAt === undefined ? fields.created_at : checkTime(m.nextAttemptAt, 'nextAttemptAt'),
          give_up_at: m.giveUpAt === undefined ? fields.created_at + giveUpMs : checkTime(m.giveUpAt, 'giveUpAt')
        }
      })
      if (rows.length === 0) return []
      return ctx.write(() =>
        rows.map((row): EnqueueOutcome => {
          if (exists.get(row.id) !== undefined) return 'duplicate'
          const { envelope, next_attempt_at, give_up_at, ...message } = row
          insertOut.run(message)
          insertEntry.run({
            id: row.id,
            recipient: row.recipient,
            envelope,
            created_at: row.created_at,
            next_attempt_at,
            give_up_at
          })
          return 'queued'
        })
      )
    },

    /**
     * The recipient (or a mailbox holding it for them) acked: 'queued' → 'sent' and the outbox row
     * goes. An ack that arrives after the message was given up also makes it 'sent' (it was delivered,
     * and saying so is the truth). Returns the ids whose status changed.
     */
    markSent(ids: readonly MessageIdInput[], at: number): string[] {
      const hexes = checkBatch<MessageIdInput>(ids, 'ids').map(messageIdHex)
      const t = checkTime(at, 'at')
      if (hexes.length === 0) return []
      // an ack lost in a power cut only means one resend, which the receiver acks as a duplicate
      return ctx.writeRelaxed(() => {
        const changed: string[] = []
        for (const id of hexes) {
          if (setSent.run(t, id).changes > 0) changed.push(id)
          removeEntry.run(id)
        }
        return changed
      })
    },

    /** Give up on a queued message now, for a reason known to be final. False if it was not queued. */
    markFailed(id: MessageIdInput, reason: string, at: number): boolean {
      const hex = messageIdHex(id)
      const why = errorReason(reason)
      const t = checkTime(at, 'at')
      return ctx.write(() => {
        if (setFailed.run(t, why, hex).changes === 0) return false
        removeEntry.run(hex)
        return true
      })
    },

    /** An attempt failed: count it, keep the error, schedule the next one. False if not in the outbox. */
    recordAttemptFailure(id: MessageIdInput, failure: AttemptFailure): boolean {
      const hex = messageIdHex(id)
      if (failure === null || typeof failure !== 'object') throw new StoreInputError('failure must be an object')
      const at = checkTime(failure.at, 'at')
      const next = checkTime(failure.nextAttemptAt, 'nextAttemptAt')
      const why = errorReason(failure.error)
      // a lost attempt count only means one more attempt sooner
      return ctx.writeRelaxed(() => failAttempt.run(at, why, next, hex).changes > 0)
    },

    /** Entries due at `now` and not yet past their give-up time, the longest-waiting first. */
    dueOutbox(now: number, limit?: number): OutboxEntry[] {
      const t = checkTime(now, 'now')
      const n = listLimit(limit, MAX_STORE_LIST_LIMIT)
      return ctx.read(() => due.all({ now: t, limit: n }).map(toOutboxEntry))
    },

    /** Every unacked entry for one recipient, oldest first: flushed when a connection to them opens. */
    outboxFor(peer: string, limit?: number): OutboxEntry[] {
      const p = checkPeerId(peer, 'peer')
      const n = listLimit(limit, MAX_STORE_LIST_LIMIT)
      return ctx.read(() => forRecipient.all(p, n).map(toOutboxEntry))
    },

    /**
     * Store the envelope of a message queued before it could be sealed (its recipient's key was not
     * known yet). Only an empty envelope is ever set, so bytes once stored are never replaced.
     */
    setEnvelope(id: MessageIdInput, envelope: Uint8Array): boolean {
      const hex = messageIdHex(id)
      const bytes = checkBytes(envelope, 'envelope', MAX_ENVELOPE_BYTES)
      if (bytes.byteLength === 0) throw new StoreInputError('envelope must not be empty', 'envelope')
      return ctx.write(() => sealEntry.run(bytes, hex).changes > 0)
    },

    getOutboxEntry(id: MessageIdInput): OutboxEntry | undefined {
      const hex = messageIdHex(id)
      return ctx.read(() => {
        const row = getEntry.get(hex)
        return row === undefined ? undefined : toOutboxEntry(row)
      })
    },

    /** The earliest next_attempt_at in the outbox (when to wake the sender), or null when it is empty. */
    nextOutboxAttemptAt(): number | null {
      return ctx.read(() => (nextDue.get()?.at as number | null | undefined) ?? null)
    },

    /**
     * Turn entries past their give-up time into 'failed' messages with a reason, in one transaction,
     * and return those messages (so the caller can tell the user). At most `limit` per call.
     */
    expireOutbox(now: number, limit?: number): Message[] {
      const t = checkTime(now, 'now')
      const n = listLimit(limit, MAX_STORE_LIST_LIMIT)
      return ctx.write(() => {
        const out: Message[] = []
        for (const row of expired.all(t, n)) {
          const id = row.message_id as string
          const attempts = row.attempts as number
          const last = row.last_error as string | null
          const reason = errorReason(
            `not acked before the give-up time (${attempts} attempt${attempts === 1 ? '' : 's'})${last === null ? '' : `; last error: ${last}`}`
          )
          setFailed.run(t, reason, id)
          removeEntry.run(id)
          const message = getMessage.get(id)
          if (message !== undefined) out.push(toMessage(message))
        }
        return out
      })
    }
  }
}

export type Outbox = ReturnType<typeof createOutbox>
