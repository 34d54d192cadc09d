import { DEFAULT_OUTBOX_GIVE_UP_MS, DEFAULT_STORE_BUSY_TIMEOUT_MS } from '../constants.ts'
import { StoreInputError } from '../errors.ts'
import { checkTime } from './check.ts'
import { createContacts } from './contacts.ts'
import { storeContext } from './context.ts'
import { createMessages } from './messages.ts'
import { createMeta } from './meta.ts'
import { MIGRATIONS, type Migration, migrate } from './migrations.ts'
import { createOutbox } from './outbox.ts'
import { createPeers } from './peers.ts'
import { asStoreError, openDatabase, type SyncMode } from './sqlite.ts'
import type {
  AttemptFailure,
  Contact,
  Conversation,
  EnqueueOutcome,
  IncomingMessage,
  InsertOutcome,
  ListMessagesOptions,
  Message,
  MessageIdInput,
  OutboxEntry,
  OutgoingMessage,
  PeerRecordEntry
} from './types.ts'

export interface StoreInit {
  /** The SQLite file, normally `<home>/parley.db` (STORE_FILE). Created with mode 0600. */
  path: string
  /** @default DEFAULT_OUTBOX_GIVE_UP_MS (7 days) */
  giveUpMs?: number
  /** How long to wait for another connection's write lock. @default DEFAULT_STORE_BUSY_TIMEOUT_MS (5 s) */
  busyTimeoutMs?: number
  /**
   * 'full' fsyncs every commit, so a message acked after its commit survives a power cut; keep it
   * for every real node. 'normal' survives process crashes only: for simulations of many nodes.
   * @default 'full'
   */
  synchronous?: SyncMode
  /** Clock for defaults (a contact's createdAt). @default Date.now */
  now?: () => number
  /** Schema migrations. @default MIGRATIONS (tests pass lists with extra or slowed-down steps) */
  migrations?: readonly Migration[]
}

/**
 * Parley's durable store. Synchronous (node:sqlite's DatabaseSync): every write method is one
 * transaction, committed and synced when it returns. Inputs are checked before anything is written;
 * bad input throws StoreInputError, OversizedError or InvalidPeerIdError, SQLite failures StoreError.
 */
export interface Store {
  readonly path: string
  /** The schema version the database is at (after migrations). */
  readonly schemaVersion: number

  // --- incoming ---
  /** Commit a batch in one transaction; ack all of it when this returns. Duplicates change nothing. */
  insertIncoming(batch: readonly IncomingMessage[]): InsertOutcome[]
  /** True if an incoming message with this id was committed (and its seen id not pruned). */
  hasSeen(id: MessageIdInput): boolean
  /** Forget seen ids older than `now - retainMs` (default DEFAULT_SEEN_ID_RETENTION_MS). */
  pruneSeenIds(now: number, retainMs?: number): number

  // --- outgoing ---
  /** Commit messages ('queued') and their outbox rows in one transaction, before any attempt. */
  enqueueOutgoing(batch: readonly OutgoingMessage[]): EnqueueOutcome[]
  /** Acked: 'queued' (or already 'failed') → 'sent', outbox row removed. Returns the ids that changed. */
  markSent(ids: readonly MessageIdInput[], at: number): string[]
  /** Give up on a queued message for a final reason. False if it was not queued. */
  markFailed(id: MessageIdInput, reason: string, at: number): boolean
  /** Count a failed attempt and schedule the next. False if the id is not in the outbox. */
  recordAttemptFailure(id: MessageIdInput, failure: AttemptFailure): boolean
  /** Entries due at `now` and not past give-up, longest-waiting first (limit default 1000). */
  dueOutbox(now: number, limit?: number): OutboxEntry[]
  /** All unacked entries for one recipient, oldest first (limit default 1000). */
  outboxFor(peer: string, limit?: number): OutboxEntry[]
  /** Set the envelope of an entry queued unsealed (empty envelope); never replaces stored bytes. */
  setEnvelope(id: MessageIdInput, envelope: Uint8Array): boolean
  getOutboxEntry(id: MessageIdInput): OutboxEntry | undefined
  /** When the next attempt is due, or null if the outbox is empty. */
  nextOutboxAttemptAt(): number | null
  /** Entries past give_up_at become 'failed' messages with a reason; returns them (at most `limit`). */
  expireOutbox(now: number, limit?: number): Message[]

  // --- reading ---
  getMessage(id: MessageIdInput): Message | undefined
  /** Newest first (created_at, then id); `before` is a time in ms or the last id of the previous page. */
  listMessages(options?: ListMessagesOptions): Message[]
  /** Per peer: last message, count, unread; most recent first. */
  conversations(options?: { limit?: number }): Conversation[]
  /** Mark a peer's incoming messages read; returns how many changed. */
  markRead(peer: string, at: number, upTo?: number): number
  /** Delete a message and its outbox row; its id stays seen. */
  deleteMessage(id: MessageIdInput): boolean

  // --- contacts ---
  addContact(name: string, peerId: string, createdAt?: number): Contact
  removeContact(name: string): boolean
  listContacts(options?: { limit?: number }): Contact[]
  contactByName(name: string): Contact | undefined
  contactByPeer(peerId: string): Contact | undefined

  // --- directory cache ---
  /** False if a record with a higher seq is cached (never roll back). */
  putPeerRecord(entry: PeerRecordEntry): boolean
  getPeerRecord(peerId: string): PeerRecordEntry | undefined
  deletePeerRecord(peerId: string): boolean
  prunePeerRecords(now: number): number
  listPeerRecords(options?: { limit?: number }): PeerRecordEntry[]

  // --- node state ---
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  deleteMeta(key: string): boolean
  /** Node state entries whose key starts with `prefix`, in key order. */
  metaWithPrefix(prefix: string, limit?: number): Array<{ key: string; value: string }>

  /** `PRAGMA integrity_check`: 'ok', or SQLite's list of problems, one per line. */
  integrityCheck(): string
  /** Close the database (idempotent). Later calls throw StoreError. */
  close(): void
}

/** Open (creating and migrating as needed) the store at `init.path`. */
export function createStore(init: StoreInit): Store {
  if (init === null || typeof init !== 'object' || typeof init.path !== 'string' || init.path === '') {
    throw new StoreInputError('createStore needs a path', 'path')
  }
  const busyTimeoutMs = checkTime(init.busyTimeoutMs ?? DEFAULT_STORE_BUSY_TIMEOUT_MS, 'busyTimeoutMs')
  const synchronous = init.synchronous ?? 'full'
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new StoreInputError("synchronous is 'full' or 'normal'", 'synchronous')
  }
  const db = openDatabase(init.path, { busyTimeoutMs, synchronous })
  let schemaVersion: number
  try {
    schemaVersion = migrate(db, init.migrations ?? MIGRATIONS).to
  } catch (err) {
    db.close()
    throw err
  }

  try {
    const ctx = storeContext(db, init.now ?? Date.now, synchronous)
    const store: Store = {
      path: init.path,
      schemaVersion,
      ...createMessages(ctx),
      ...createOutbox(ctx, { giveUpMs: init.giveUpMs ?? DEFAULT_OUTBOX_GIVE_UP_MS }),
      ...createContacts(ctx),
      ...createPeers(ctx),
      ...createMeta(ctx),
      integrityCheck(): string {
        return ctx.read(() =>
          db
            .prepare('PRAGMA integrity_check')
            .all()
            .map((row) => String(row.integrity_check))
            .join('\n')
        )
      },
      close(): void {
        if (!db.isOpen) return
        try {
          db.exec('PRAGMA optimize')
        } catch {
          // only a hint to the query planner
        }
        db.close()
      }
    }
    return store
  } catch (err) {
    db.close()
    throw asStoreError(err, `${init.path}: cannot prepare the store`)
  }
}
