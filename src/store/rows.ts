/** SQLite rows to the plain objects callers get. Columns are snake_case; objects are camelCase. */
import type { Contact, Direction, Message, MessageStatus, OutboxEntry, PeerRecordEntry } from './types.ts'

type Row = Record<string, unknown>

export const MESSAGE_COLUMNS =
  'id, direction, peer, sender, recipient, content_type, body, text, created_at, received_at, status, status_at, error, read_at, meta'

export const OUTBOX_COLUMNS =
  'message_id, recipient, envelope, attempts, created_at, next_attempt_at, last_attempt_at, last_error, give_up_at'

export const PEER_COLUMNS = 'peer_id, record, seq, expires_at, fetched_at'

export function toMessage(row: Row): Message {
  return {
    id: row.id as string,
    direction: row.direction as Direction,
    peer: row.peer as string,
    from: row.sender as string,
    to: row.recipient as string,
    contentType: row.content_type as number,
    text: (row.text as string | null) ?? null,
    body: row.body as Uint8Array,
    status: row.status as MessageStatus,
    error: (row.error as string | null) ?? null,
    createdAt: row.created_at as number,
    receivedAt: (row.received_at as number | null) ?? null,
    statusAt: row.status_at as number,
    readAt: (row.read_at as number | null) ?? null,
    meta: parseMeta(row.meta)
  }
}

function parseMeta(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'string') return null
  try {
    const parsed: unknown = JSON.parse(value)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

export function toOutboxEntry(row: Row): OutboxEntry {
  return {
    messageId: row.message_id as string,
    recipient: row.recipient as string,
    envelope: row.envelope as Uint8Array,
    attempts: row.attempts as number,
    createdAt: row.created_at as number,
    nextAttemptAt: row.next_attempt_at as number,
    lastAttemptAt: (row.last_attempt_at as number | null) ?? null,
    lastError: (row.last_error as string | null) ?? null,
    giveUpAt: row.give_up_at as number
  }
}

export function toContact(row: Row): Contact {
  return { name: row.name as string, peerId: row.peer_id as string, createdAt: row.created_at as number }
}

export function toPeerRecord(row: Row): PeerRecordEntry {
  return {
    peerId: row.peer_id as string,
    record: row.record as Uint8Array,
    seq: row.seq as number,
    expiresAt: row.expires_at as number,
    fetchedAt: row.fetched_at as number
  }
}
