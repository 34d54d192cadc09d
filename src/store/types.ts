/** Shapes the store takes and returns: plain objects, camelCase fields, times in ms since the epoch. */

export type Direction = 'in' | 'out'
/** `queued`, `sent` and `failed` for outgoing messages; `received` for incoming ones. */
export type MessageStatus = 'queued' | 'sent' | 'failed' | 'received'

/** A message id: the 16 bytes from the envelope, or those bytes as 32 hex characters. */
export type MessageIdInput = string | Uint8Array

/** A message as callers see it. Nullable columns come back as `null`, never `undefined`. */
export interface Message {
  /** 32 lowercase hex characters. */
  id: string
  direction: Direction
  /** The other party: `from` for incoming, `to` for outgoing. */
  peer: string
  from: string
  to: string
  contentType: number
  /** Set when the content type is text. */
  text: string | null
  body: Uint8Array
  status: MessageStatus
  /** Why an outgoing message failed. */
  error: string | null
  /** The sender's clock (from inside the envelope for incoming messages). */
  createdAt: number
  /** Our clock when the message was committed; null for outgoing. */
  receivedAt: number | null
  /** Our clock at the last status change (queued: created, sent: acked, failed: given up, received). */
  statusAt: number
  /** When the user read an incoming message; null while unread (and for outgoing). */
  readAt: number | null
  /** Free-form JSON for later issues (attachments, business fields). */
  meta: Record<string, unknown> | null
}

/** A message that arrived, opened and checked by the envelope layer. */
export interface IncomingMessage {
  id: MessageIdInput
  from: string
  to: string
  contentType: number
  body: Uint8Array
  /** The decoded text when the content type is text. */
  text?: string
  createdAt: number
  receivedAt: number
  meta?: Record<string, unknown>
}

/** A message we send, with the exact envelope bytes that go on the wire (resent as-is, never re-encrypted). */
export interface OutgoingMessage {
  id: MessageIdInput
  from: string
  to: string
  contentType: number
  body: Uint8Array
  text?: string
  createdAt: number
  envelope: Uint8Array
  /** @default createdAt (due at once) */
  nextAttemptAt?: number
  /** @default createdAt + the store's giveUpMs */
  giveUpAt?: number
  meta?: Record<string, unknown>
}

export type InsertOutcome = 'inserted' | 'duplicate'
export type EnqueueOutcome = 'queued' | 'duplicate'

/** An unacked outgoing message, waiting in the outbox. */
export interface OutboxEntry {
  messageId: string
  recipient: string
  /** The exact bytes to send. */
  envelope: Uint8Array
  attempts: number
  createdAt: number
  nextAttemptAt: number
  lastAttemptAt: number | null
  lastError: string | null
  giveUpAt: number
}

export interface AttemptFailure {
  /** When the attempt failed. */
  at: number
  /** When to try again (the caller owns the backoff policy). */
  nextAttemptAt: number
  error: string
}

export interface ListMessagesOptions {
  /** Only messages with this peer. */
  peer?: string
  /** @default 50, at most 1000 */
  limit?: number
  /**
   * Cursor for the next page: a time in ms (messages created strictly before it), or the id of the
   * last message of the previous page (messages strictly older than it in the list order).
   */
  before?: number | string
}

/** One row per peer we exchanged messages with. */
export interface Conversation {
  peer: string
  /** The contact name for that peer, if any. */
  contactName: string | null
  lastMessageId: string
  lastMessageAt: number
  lastDirection: Direction
  lastText: string | null
  count: number
  /** Incoming messages not marked read. */
  unread: number
}

export interface Contact {
  name: string
  peerId: string
  createdAt: number
}

/** A resolved directory record, cached until it expires. */
export interface PeerRecordEntry {
  peerId: string
  /** The signed record bytes as fetched (the directory layer decodes and verifies them). */
  record: Uint8Array
  seq: number
  expiresAt: number
  fetchedAt: number
}
