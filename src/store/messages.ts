/** Incoming messages (with dedup by id), reading messages back, conversations, seen-id pruning. */
import {
  DEFAULT_SEEN_ID_RETENTION_MS,
  MAX_STORE_LIST_LIMIT,
  MAX_STORED_BODY_BYTES,
  MAX_STORED_TEXT_BYTES
} from '../constants.ts'
import { StoreInputError } from '../errors.ts'
import {
  checkBatch,
  checkBytes,
  checkPeerId,
  checkString,
  checkTime,
  checkUint,
  listLimit,
  messageIdHex,
  metaJson
} from './check.ts'
import type { StoreContext } from './context.ts'
import { MESSAGE_COLUMNS, toMessage } from './rows.ts'
import type {
  Conversation,
  Direction,
  IncomingMessage,
  InsertOutcome,
  ListMessagesOptions,
  Message,
  MessageIdInput
} from './types.ts'

/** Content types are u32 on the wire. */
const MAX_CONTENT_TYPE = 0xffffffff

/** The columns of a `messages` row shared by incoming and outgoing messages, checked. */
export interface MessageRow {
  id: string
  sender: string
  recipient: string
  content_type: number
  body: Uint8Array
  text: string | null
  created_at: number
  meta: string | null
}

/** Check the fields both directions share. */
export function checkMessageFields(m: IncomingMessage | Omit<IncomingMessage, 'receivedAt'>): MessageRow {
  if (m === null || typeof m !== 'object') throw new StoreInputError('a message must be an object', 'message')
  return {
    id: messageIdHex(m.id),
    sender: checkPeerId(m.from, 'from'),
    recipient: checkPeerId(m.to, 'to'),
    content_type: checkUint(m.contentType, 'contentType', MAX_CONTENT_TYPE),
    body: checkBytes(m.body, 'body', MAX_STORED_BODY_BYTES),
    text: m.text === undefined || m.text === null ? null : checkString(m.text, 'text', MAX_STORED_TEXT_BYTES),
    created_at: checkTime(m.createdAt, 'createdAt'),
    meta: metaJson(m.meta)
  }
}

/** Newest first; `id` breaks ties between messages created in the same ms. */
const ORDER = 'ORDER BY created_at DESC, id DESC'
/** Sorts after every real cursor: `(created_at, id) < (MAX, '')` holds for every row. */
const NO_CURSOR = { at: Number.MAX_SAFE_INTEGER, id: '' }

export function createMessages(ctx: StoreContext) {
  const { db } = ctx
  const exists = db.prepare('SELECT 1 FROM messages WHERE id = ?')
  const insertIn = db.prepare(`
    INSERT INTO messages (id, direction, peer, sender, recipient, content_type, body, text, created_at,
                          received_at, status, status_at, meta)
    VALUES ($id, 'in', $sender, $sender, $recipient, $content_type, $body, $text, $created_at,
            $received_at, 'received', $received_at, $meta)`)
  const getOne = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`)
  const cursorOf = db.prepare('SELECT created_at, id FROM messages WHERE id = ?')
  const pageAll = db.prepare(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE (created_at, id) < ($at, $id) ${ORDER} LIMIT $limit`
  )
  const pagePeer = db.prepare(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE peer = $peer AND (created_at, id) < ($at, $id) ${ORDER} LIMIT $limit`
  )
  // with a single max() aggregate, SQLite takes the bare columns (id, direction, text) from the row
  // holding the max: the last message of each conversation
  const conversationsStmt = db.prepare(`
    SELECT g.*, c.name AS contact_name FROM (
      SELECT peer, max(created_at) AS last_at, id AS last_id, direction AS last_direction, text AS last_text,
             count(*) AS count, sum(direction = 'in' AND read_at IS NULL) AS unread
      FROM messages GROUP BY peer
    ) AS g LEFT JOIN contacts AS c ON c.peer_id = g.peer
    ORDER BY g.last_at DESC, g.peer LIMIT ?`)
  const deleteOne = db.prepare('DELETE FROM messages WHERE id = ?')
  const markReadStmt = db.prepare(
    "UPDATE messages SET read_at = ? WHERE peer = ? AND direction = 'in' AND read_at IS NULL AND created_at <= ?"
  )
  const pruneSeen = db.prepare('DELETE FROM seen_ids WHERE seen_at < ?')
  const seenOne = db.prepare('SELECT 1 FROM seen_ids WHERE message_id = ?')

  return {
    /**
     * Commit a batch of incoming messages in ONE transaction (group commit), then return. The caller
     * acks every message of the batch once this returns, 'duplicate' ones included: a duplicate was
     * committed before, changes nothing and is never shown twice. Dedup is by message id, against the
     * messages table and the seen ids of deleted messages; the same id twice in one batch is
     * 'inserted' once, then 'duplicate'. A malformed message throws before anything is written.
     */
    insertIncoming(batch: readonly IncomingMessage[]): InsertOutcome[] {
      const rows = checkBatch<IncomingMessage>(batch, 'batch').map((m) => ({
        ...checkMessageFields(m),
        received_at: checkTime(m.receivedAt, 'receivedAt')
      }))
      if (rows.length === 0) return []
      return ctx.write(() =>
        rows.map((row): InsertOutcome => {
          if (exists.get(row.id) !== undefined || seenOne.get(row.id) !== undefined) return 'duplicate'
          insertIn.run(row)
          return 'inserted'
        })
      )
    },

    /** True if a message with this id is stored, or an incoming one was deleted and its id not yet pruned. */
    hasSeen(id: MessageIdInput): boolean {
      const hex = messageIdHex(id)
      return ctx.read(() => seenOne.get(hex) !== undefined || exists.get(hex) !== undefined)
    },

    getMessage(id: MessageIdInput): Message | undefined {
      const hex = messageIdHex(id)
      return ctx.read(() => {
        const row = getOne.get(hex)
        return row === undefined ? undefined : toMessage(row)
      })
    },

    /** Newest first, at most `limit` (default 50, cap 1000); `before` continues from a previous page. */
    listMessages(options: ListMessagesOptions = {}): Message[] {
      const limit = listLimit(options.limit)
      const peer = options.peer === undefined ? undefined : checkPeerId(options.peer, 'peer')
      return ctx.read(() => {
        const cursor = resolveCursor(options.before)
        const rows = peer === undefined ? pageAll.all({ ...cursor, limit }) : pagePeer.all({ ...cursor, peer, limit })
        return rows.map(toMessage)
      })
    },

    /** One entry per peer, the most recent conversation first. */
    conversations(options: { limit?: number } = {}): Conversation[] {
      const limit = listLimit(options.limit, MAX_STORE_LIST_LIMIT)
      return ctx.read(() =>
        conversationsStmt.all(limit).map((row) => ({
          peer: row.peer as string,
          contactName: (row.contact_name as string | null) ?? null,
          lastMessageId: row.last_id as string,
          lastMessageAt: row.last_at as number,
          lastDirection: row.last_direction as Direction,
          lastText: (row.last_text as string | null) ?? null,
          count: row.count as number,
          unread: row.unread as number
        }))
      )
    },

    /** Mark a peer's incoming messages read (those created up to `upTo`, default all). Returns how many. */
    markRead(peer: string, at: number, upTo = Number.MAX_SAFE_INTEGER): number {
      const p = checkPeerId(peer, 'peer')
      const t = checkTime(at, 'at')
      const until = checkTime(upTo, 'upTo')
      return ctx.write(() => Number(markReadStmt.run(t, p, until).changes))
    },

    /**
     * Delete a message (and its outbox row, if any). A trigger keeps an incoming message's id in
     * seen_ids, so a late duplicate is still recognised and not shown again.
     */
    deleteMessage(id: MessageIdInput): boolean {
      const hex = messageIdHex(id)
      return ctx.write(() => deleteOne.run(hex).changes > 0)
    },

    /**
     * Forget the seen ids of deleted messages received before `now - retainMs`. The default retention
     * is longer than the oldest envelope the receiver accepts, so a replay of a forgotten id is
     * refused as stale anyway. Stored messages are not affected: they dedup through their own row.
     */
    pruneSeenIds(now: number, retainMs = DEFAULT_SEEN_ID_RETENTION_MS): number {
      const cutoff = checkTime(now, 'now') - checkTime(retainMs, 'retainMs')
      return ctx.write(() => Number(pruneSeen.run(cutoff).changes))
    }
  }

  function resolveCursor(before: ListMessagesOptions['before']): { at: number; id: string } {
    if (before === undefined) return NO_CURSOR
    if (typeof before === 'number') return { at: checkTime(before, 'before'), id: '' }
    const hex = messageIdHex(before)
    const row = cursorOf.get(hex)
    if (row === undefined) throw new StoreInputError('before names no stored message', 'before')
    return { at: row.created_at as number, id: row.id as string }
  }
}

export type Messages = ReturnType<typeof createMessages>
