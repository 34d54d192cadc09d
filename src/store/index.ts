/**
 * The durable store: SQLite through node:sqlite (no native addon), WAL, synchronous=FULL, migrations
 * keyed on user_version. Messages, outbox, seen ids, contacts, the directory cache and node state.
 */
export { messageIdHex } from './check.ts'
export { checkContactName, contactNameKey } from './contacts.ts'
export type { MigrateResult, Migration } from './migrations.ts'
export { MIGRATIONS, migrate, SCHEMA_VERSION } from './migrations.ts'
export type { SyncMode } from './sqlite.ts'
export { STORE_FILE_MODE } from './sqlite.ts'
export type { Store, StoreInit } from './store.ts'
export { createStore } from './store.ts'
export type {
  AttemptFailure,
  Contact,
  Conversation,
  Direction,
  EnqueueOutcome,
  IncomingMessage,
  InsertOutcome,
  ListMessagesOptions,
  Message,
  MessageIdInput,
  MessageStatus,
  OutboxEntry,
  OutgoingMessage,
  PeerRecordEntry
} from './types.ts'
