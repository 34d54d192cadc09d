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
}

export function storeContext(db: DatabaseSync, now: () => number): StoreContext {
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
    }
  }
}
