import type { DatabaseSync } from 'node:sqlite'
import { StoreError } from '../errors.ts'
import { asStoreError, writeTransaction } from './sqlite.ts'

/** What each part of the store (messages, outbox, contacts…) is given: the connection and the clock. */
export interface StoreContext {
  readonly db: DatabaseSync
  readonly now: () => number
  /** Run a read; SQLite errors become StoreError. */
  read<T>(fn: () => T): T
  /** Run one write transaction (one state change); SQLite errors become StoreError. */
  write<T>(fn: () => T): T
  /**
   * A write whose loss in a power cut is harmless (a "sent" mark: the message is resent and the
   * receiver acks a duplicate). It commits without its own fsync; in WAL mode the next fully
   * synced commit makes it durable too, since the WAL is flushed in order.
   */
  writeRelaxed<T>(fn: () => T): T
}

export function storeContext(
  db: DatabaseSync,
  now: () => number,
  synchronous: 'full' | 'normal' = 'full'
): StoreContext {
  const assertOpen = (): void => {
    if (!db.isOpen) throw new StoreError('the store is closed')
  }
  return {
    db,
    now,
    read(fn) {
      assertOpen()
      try {
        return fn()
      } catch (err) {
        throw asStoreError(err, 'a store read failed')
      }
    },
    write(fn) {
      assertOpen()
      return writeTransaction(db, fn)
    },
    writeRelaxed(fn) {
      assertOpen()
      if (synchronous === 'normal') return writeTransaction(db, fn)
      db.exec('PRAGMA synchronous = NORMAL')
      try {
        return writeTransaction(db, fn)
      } finally {
        db.exec('PRAGMA synchronous = FULL')
      }
    }
  }
}
