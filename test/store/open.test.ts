import assert from 'node:assert/strict'
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { STORE_APPLICATION_ID } from '../../src/constants.ts'
import { createStore, MIGRATIONS, type Migration, SCHEMA_VERSION } from '../../src/store/index.ts'
import { incoming, outgoing, tempHome } from './helpers.ts'

const TABLES = ['contacts', 'messages', 'meta', 'outbox', 'peers', 'seen_ids']

function tables(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    return db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((r) => r.name as string)
  } finally {
    db.close()
  }
}

function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    return Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]
  } finally {
    db.close()
  }
}

describe('store: opening, migrations, files', () => {
  let home: ReturnType<typeof tempHome>
  beforeEach(() => {
    home = tempHome()
  })
  afterEach(() => home.cleanup())

  it('migrates an empty file to the current schema and sets up the connection', () => {
    const store = createStore({ path: home.dbPath })
    assert.equal(store.schemaVersion, SCHEMA_VERSION)
    assert.equal(store.integrityCheck(), 'ok')
    store.close()
    assert.deepEqual(tables(home.dbPath), TABLES)
    assert.equal(pragma(home.dbPath, 'user_version'), SCHEMA_VERSION)
    assert.equal(pragma(home.dbPath, 'application_id'), STORE_APPLICATION_ID)
    assert.equal(pragma(home.dbPath, 'journal_mode'), 'wal')
  })

  it('uses WAL, synchronous=FULL, foreign keys and a busy timeout on its connection', () => {
    // the settings are per connection: read them through a migration hook that runs on it
    const seen: Record<string, unknown> = {}
    const probe: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'probe',
      up(db) {
        for (const name of ['journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout']) {
          seen[name] = Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]
        }
      }
    }
    createStore({ path: home.dbPath, migrations: [...MIGRATIONS, probe], busyTimeoutMs: 1234 }).close()
    assert.deepEqual(seen, { journal_mode: 'wal', synchronous: 2, foreign_keys: 1, busy_timeout: 1234 })
  })

  it('keeps data across close and reopen, and migrates only once', () => {
    let runs = 0
    const counted: Migration[] = MIGRATIONS.map((m) => ({
      ...m,
      up(db: DatabaseSync) {
        runs++
        m.up(db)
      }
    }))
    const first = createStore({ path: home.dbPath, migrations: counted })
    const m = incoming()
    const o = outgoing()
    first.insertIncoming([m])
    first.enqueueOutgoing([o])
    first.addContact('Alice', m.from)
    first.setMeta('k', 'v')
    first.close()
    const again = createStore({ path: home.dbPath, migrations: counted })
    assert.equal(runs, MIGRATIONS.length)
    assert.equal(again.getMessage(m.id)?.text, 'hello')
    assert.equal(again.getOutboxEntry(o.id)?.attempts, 0)
    assert.equal(again.contactByName('alice')?.peerId, m.from)
    assert.equal(again.getMeta('k'), 'v')
    again.close()
  })

  it('refuses a database from a newer version with StoreVersionError, and leaves it untouched', () => {
    createStore({ path: home.dbPath }).close()
    const db = new DatabaseSync(home.dbPath)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    assert.throws(() => createStore({ path: home.dbPath }), {
      name: 'StoreVersionError',
      detail: String(SCHEMA_VERSION + 1)
    })
    assert.equal(pragma(home.dbPath, 'user_version'), SCHEMA_VERSION + 1)
  })

  it('applies a later migration to an existing database, keeping the data', () => {
    const first = createStore({ path: home.dbPath })
    const m = incoming()
    first.insertIncoming([m])
    first.close()
    const v2: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'add a column',
      up: (db) => db.exec('ALTER TABLE messages ADD COLUMN edited_at INTEGER')
    }
    const store = createStore({ path: home.dbPath, migrations: [...MIGRATIONS, v2] })
    assert.equal(store.schemaVersion, SCHEMA_VERSION + 1)
    assert.equal(store.getMessage(m.id)?.text, 'hello')
    store.close()
  })

  it('rolls a failing migration back whole: old version, old schema, MigrationError', () => {
    createStore({ path: home.dbPath }).close()
    const bad: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'half done',
      up(db) {
        db.exec('CREATE TABLE half (x INTEGER)')
        db.exec('INSERT INTO nowhere VALUES (1)')
      }
    }
    assert.throws(() => createStore({ path: home.dbPath, migrations: [...MIGRATIONS, bad] }), {
      name: 'MigrationError',
      detail: String(SCHEMA_VERSION + 1)
    })
    assert.equal(pragma(home.dbPath, 'user_version'), SCHEMA_VERSION)
    assert.deepEqual(tables(home.dbPath), TABLES)
    const store = createStore({ path: home.dbPath })
    assert.equal(store.integrityCheck(), 'ok')
    store.close()
  })

  it('refuses a migration list with gaps', () => {
    const gap: Migration = { version: SCHEMA_VERSION + 2, name: 'gap', up: () => {} }
    assert.throws(() => createStore({ path: home.dbPath, migrations: [...MIGRATIONS, gap] }), {
      name: 'MigrationError'
    })
  })

  it('creates the file and its -wal and -shm with mode 0600, and tightens a loose file', () => {
    const store = createStore({ path: home.dbPath })
    store.insertIncoming([incoming()])
    for (const suffix of ['', '-wal', '-shm']) {
      assert.ok(existsSync(home.dbPath + suffix), `${suffix} exists while open`)
      assert.equal(statSync(home.dbPath + suffix).mode & 0o777, 0o600, `mode of ${suffix || 'the file'}`)
    }
    store.close()
    chmodSync(home.dbPath, 0o644)
    createStore({ path: home.dbPath }).close()
    assert.equal(statSync(home.dbPath).mode & 0o777, 0o600)
  })

  it('creates a missing home folder with mode 0700', () => {
    const path = join(home.dir, 'nested', 'parley.db')
    createStore({ path }).close()
    assert.equal(statSync(join(home.dir, 'nested')).mode & 0o777, 0o700)
  })

  it('refuses a file that is not a database, and one that belongs to another application', () => {
    writeFileSync(home.dbPath, 'this is not sqlite, just some text that is long enough to have a header....')
    assert.throws(() => createStore({ path: home.dbPath }), { name: 'StoreError' })
    const other = join(home.dir, 'other.db')
    const db = new DatabaseSync(other)
    db.exec('PRAGMA application_id = 42; CREATE TABLE t (x)')
    db.close()
    assert.throws(() => createStore({ path: other }), { name: 'StoreError', detail: 'application_id' })
  })

  it('throws StoreError after close, and close is idempotent', () => {
    const store = createStore({ path: home.dbPath })
    store.close()
    store.close()
    assert.throws(() => store.listMessages(), { name: 'StoreError' })
    assert.throws(() => store.insertIncoming([incoming()]), { name: 'StoreError' })
  })

  it('lets a second connection read while the first writes (WAL) and shares the data', () => {
    const a = createStore({ path: home.dbPath })
    const b = createStore({ path: home.dbPath })
    const m = incoming()
    a.insertIncoming([m])
    assert.equal(b.getMessage(m.id)?.id, m.id)
    assert.deepEqual(b.insertIncoming([m]), ['duplicate'])
    a.close()
    b.close()
  })
})
