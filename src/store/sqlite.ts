/**
 * Opening the SQLite file and running work in transactions. Everything that touches `node:sqlite`
 * settings lives here, so the choices are written down once.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { STORE_JOURNAL_SIZE_LIMIT } from '../constants.ts'
import { ParleyError, StoreError } from '../errors.ts'

/** Mode of the database file and its -wal and -shm companions: they hold the message history. */
export const STORE_FILE_MODE = 0o600
const STORE_DIR_MODE = 0o700

export type SyncMode = 'full' | 'normal'

export interface OpenDatabaseOptions {
  busyTimeoutMs: number
  synchronous: SyncMode
}

/**
 * Open (or create) the database file with mode 0600 and set the connection up:
 *
 * - `journal_mode=WAL`: readers never block the writer, and a commit is one append to the WAL.
 * - `synchronous=FULL`: in WAL mode every commit fsyncs the WAL before COMMIT returns. The receiver
 *   acks a message only after its commit returned, so an ack must never outlive a power cut; NORMAL
 *   would survive a process crash but could lose the last commits on power loss (reliability.md A2.16).
 *   `fullfsync` asks macOS for a real flush (a no-op on Linux). NORMAL is offered for simulations only.
 * - `busy_timeout`: a second connection (the CLI reading while the daemon writes) waits, not fails.
 * - `foreign_keys=ON` (outbox rows belong to messages), `trusted_schema=OFF`, and the defensive flag,
 *   so that SQL can never corrupt the file through `writable_schema` and friends.
 * - `journal_size_limit`: the WAL is truncated after checkpoints instead of staying at its high mark.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions): DatabaseSync {
  // ':memory:' is a private in-memory database (simulations): no file, no WAL, nothing to sync
  const inMemory = path === ':memory:'
  if (!inMemory) prepareFile(path)
  let db: DatabaseSync | undefined
  try {
    db = new DatabaseSync(path, {
      enableForeignKeyConstraints: true,
      enableDoubleQuotedStringLiterals: false,
      timeout: options.busyTimeoutMs
    })
    db.enableDefensive(true)
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`)
    // journal_mode cannot change inside a transaction and is persistent; set it first, on every open
    const mode = db.prepare(`PRAGMA journal_mode = ${inMemory ? 'MEMORY' : 'WAL'}`).get() as
      | { journal_mode?: string }
      | undefined
    if (!inMemory && mode?.journal_mode !== 'wal') throw new StoreError(`${path}: could not switch to WAL mode`)
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    db.exec('PRAGMA fullfsync = ON')
    db.exec('PRAGMA checkpoint_fullfsync = ON')
    db.exec('PRAGMA foreign_keys = ON')
    db.exec('PRAGMA trusted_schema = OFF')
    db.exec(`PRAGMA journal_size_limit = ${STORE_JOURNAL_SIZE_LIMIT}`)
    if (!inMemory) tightenCompanions(path)
    return db
  } catch (err) {
    if (db?.isOpen === true) db.close()
    throw asStoreError(err, `${path}: cannot open the store`)
  }
}

/** Create the file with mode 0600 before SQLite does (SQLite would use 0644), or tighten an existing one. */
function prepareFile(path: string): void {
  try {
    const dir = dirname(path)
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: STORE_DIR_MODE })
    closeSync(openSync(path, 'a', STORE_FILE_MODE))
    if ((statSync(path).mode & 0o777) !== STORE_FILE_MODE) chmodSync(path, STORE_FILE_MODE)
    // SQLite gives -wal and -shm the database file's mode, but a crash may have left old ones behind
    tightenCompanions(path)
  } catch (err) {
    throw asStoreError(err, `${path}: cannot create the store file`)
  }
}

function tightenCompanions(path: string): void {
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const file = path + suffix
    try {
      if ((statSync(file).mode & 0o777) !== STORE_FILE_MODE) chmodSync(file, STORE_FILE_MODE)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}

/**
 * Run `fn` in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so a second
 * writer waits on busy_timeout instead of failing halfway through with SQLITE_BUSY. Any error rolls
 * the whole transaction back; nothing of it is visible, before or after a crash.
 */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) throw new StoreError('a store transaction is already open (a bug: they do not nest)')
  try {
    db.exec('BEGIN IMMEDIATE')
  } catch (err) {
    throw asStoreError(err, 'cannot start a transaction')
  }
  try {
    const out = fn()
    db.exec('COMMIT')
    return out
  } catch (err) {
    if (db.isTransaction) {
      try {
        db.exec('ROLLBACK')
      } catch {
        // SQLite rolls back by itself after some errors; the original error is the one to report
      }
    }
    throw asStoreError(err, 'the transaction failed and was rolled back')
  }
}

/** Our errors pass through; SQLite and file system errors become a StoreError naming the SQLite code. */
export function asStoreError(err: unknown, context: string): Error {
  if (err instanceof ParleyError) return err
  const e = err as { message?: string; errstr?: string; code?: string }
  const detail = e.errstr ?? e.code
  const wrapped = new StoreError(`${context}: ${e.message ?? String(err)}`, detail)
  wrapped.cause = err
  return wrapped
}

/** Read one integer PRAGMA (user_version, application_id). */
export function pragmaInt(db: DatabaseSync, name: 'user_version' | 'application_id'): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined
  const value = row?.[name]
  return typeof value === 'number' ? value : 0
}
