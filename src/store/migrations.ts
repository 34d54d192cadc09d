/**
 * Schema migrations, keyed on `PRAGMA user_version`. Each migration runs in its own BEGIN IMMEDIATE
 * transaction together with the user_version bump; SQLite's DDL is transactional, so a crash at any
 * instant leaves the database at the old version with the old schema or at the new one, never between.
 *
 * Rules for adding one: append, never edit or reorder a released migration; one migration per schema
 * version; no `PRAGMA foreign_keys` or `journal_mode` inside (they are no-ops in a transaction); a
 * migration that rebuilds a table copies into a new table and renames it, and the runner checks
 * foreign keys before it commits.
 */
import type { DatabaseSync } from 'node:sqlite'
import { STORE_APPLICATION_ID } from '../constants.ts'
import { MigrationError, ParleyError, StoreError, StoreVersionError } from '../errors.ts'
import { asStoreError, pragmaInt, writeTransaction } from './sqlite.ts'

export interface Migration {
  /** The user_version this migration brings the database to: 1, 2, 3… in order. */
  readonly version: number
  /** A short name for errors and logs. */
  readonly name: string
  /** Runs inside the migration's transaction; throw to roll it back. */
  up(db: DatabaseSync): void
}

/** Version 1: messages, outbox, seen ids, contacts, the directory cache and node state. */
const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`PRAGMA application_id = ${STORE_APPLICATION_ID}`)
    db.exec(`
      CREATE TABLE messages (
        id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32 AND NOT id GLOB '*[^0-9a-f]*'),
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        peer TEXT NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        content_type INTEGER NOT NULL CHECK (content_type >= 0),
        body BLOB NOT NULL,
        text TEXT,
        created_at INTEGER NOT NULL,
        received_at INTEGER,
        status TEXT NOT NULL,
        status_at INTEGER NOT NULL,
        error TEXT,
        read_at INTEGER,
        meta TEXT CHECK (meta IS NULL OR json_valid(meta)),
        CHECK (
          (direction = 'in' AND status = 'received' AND peer = sender AND received_at IS NOT NULL)
          OR (direction = 'out' AND status IN ('queued', 'sent', 'failed') AND peer = recipient AND received_at IS NULL)
        )
      ) STRICT;
      -- newest-first pages, over all peers and per peer; id breaks ties so a cursor is exact
      CREATE INDEX messages_by_time ON messages (created_at, id);
      CREATE INDEX messages_by_peer ON messages (peer, created_at, id);
      CREATE INDEX messages_unread ON messages (peer) WHERE direction = 'in' AND read_at IS NULL;

      -- unacked outgoing messages; a row exists exactly while its message is 'queued'
      CREATE TABLE outbox (
        message_id TEXT NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        envelope BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_error TEXT,
        give_up_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at, message_id);
      CREATE INDEX outbox_by_recipient ON outbox (recipient, created_at, message_id);
      CREATE INDEX outbox_give_up ON outbox (give_up_at, message_id);

      -- ids of incoming messages that were deleted, so a late duplicate is still dropped; pruned by
      -- age. Stored messages dedup through their own primary key: writing every id twice (both
      -- random keys) halved the commit rate once the tables outgrew the page cache.
      CREATE TABLE seen_ids (
        message_id TEXT NOT NULL PRIMARY KEY,
        sender TEXT NOT NULL,
        seen_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX seen_ids_by_time ON seen_ids (seen_at);
      -- whatever deletes an incoming message (the API, a retention job) leaves its id behind
      CREATE TRIGGER messages_keep_seen_id AFTER DELETE ON messages WHEN old.direction = 'in'
      BEGIN
        INSERT OR IGNORE INTO seen_ids (message_id, sender, seen_at) VALUES (old.id, old.sender, old.received_at);
      END;

      -- name as typed; name_key is its case-folded form, unique
      CREATE TABLE contacts (
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        peer_id TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- resolved directory records, as fetched; the directory layer verifies them
      CREATE TABLE peers (
        peer_id TEXT NOT NULL PRIMARY KEY,
        record BLOB NOT NULL,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        expires_at INTEGER NOT NULL,
        fetched_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX peers_by_expiry ON peers (expires_at, fetched_at);

      CREATE TABLE meta (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
    `)
  }
}

/** Every migration this build knows, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([initialSchema])

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

export interface MigrateResult {
  from: number
  to: number
}

/**
 * Bring the database up to the last migration of `migrations`. Refuses a database whose version is
 * higher than the list knows (written by a newer Parley: we cannot know what its schema means) and a
 * file that another application marked as its own.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): MigrateResult {
  checkMigrationList(migrations)
  const latest = migrations.length
  let from: number
  try {
    from = pragmaInt(db, 'user_version')
    const appId = pragmaInt(db, 'application_id')
    if (appId !== 0 && appId !== STORE_APPLICATION_ID) {
      throw new StoreError(`not a Parley database (application_id ${appId})`, 'application_id')
    }
    if (from > 0 && appId !== STORE_APPLICATION_ID) {
      throw new StoreError(
        `not a Parley database (user_version ${from} but no Parley application_id)`,
        'application_id'
      )
    }
  } catch (err) {
    throw asStoreError(err, 'cannot read the schema version')
  }
  refuseNewer(from, latest)

  for (const migration of migrations) {
    if (migration.version <= from) continue
    try {
      writeTransaction(db, () => {
        // another process may have migrated while we waited for the write lock
        const now = pragmaInt(db, 'user_version')
        refuseNewer(now, latest)
        if (now >= migration.version) return
        migration.up(db)
        const broken = db.prepare('PRAGMA foreign_key_check').all()
        if (broken.length > 0) throw new MigrationError(`${broken.length} rows break a foreign key`)
        db.exec(`PRAGMA user_version = ${migration.version}`)
      })
    } catch (err) {
      if (err instanceof StoreVersionError) throw err
      const reason = err instanceof ParleyError && err.cause !== undefined ? err.cause : err
      const wrapped = new MigrationError(
        `migration ${migration.version} (${migration.name}) failed and was rolled back: ${(reason as Error).message ?? String(reason)}`,
        String(migration.version)
      )
      wrapped.cause = reason
      throw wrapped
    }
  }
  return { from, to: Math.max(from, latest) }
}

function refuseNewer(version: number, latest: number): void {
  if (version > latest) {
    throw new StoreVersionError(
      `the database has schema version ${version}, newer than this build knows (${latest}): upgrade Parley`,
      String(version)
    )
  }
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migration ${i} has version ${m.version}, expected ${i + 1}`)
  })
}
