/**
 * Crash safety (reliability.md T6.1 and T6.2): SIGKILL a writer at random moments, reopen, and check
 * that the file is intact, every commit that returned (every message that would have been acked)
 * is there, transactions are all-or-nothing, and nothing is duplicated.
 *
 * PARLEY_KILL_CYCLES (default 20) sets the kill-loop cycles, PARLEY_MIGRATION_KILL_CYCLES (default 8)
 * the kills during migrations; raise them for a nightly run.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { createStore, SCHEMA_VERSION } from '../../src/store/index.ts'
import { EXTRA_ROWS, EXTRA_VERSION, slowMigrations } from './fixtures/slow-migrations.ts'
import { envelopeFor, tempHome } from './helpers.ts'

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url))
const MIGRATE = fileURLToPath(new URL('./fixtures/migrate-slow.ts', import.meta.url))
const KILL_CYCLES = envInt('PARLEY_KILL_CYCLES', 20)
const MIGRATION_KILL_CYCLES = envInt('PARLEY_MIGRATION_KILL_CYCLES', 8)
const TABLES = ['contacts', 'messages', 'meta', 'outbox', 'peers', 'seen_ids']

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  const n = raw === undefined ? fallback : Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`)
  return n
}

const randomInt = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1))

interface Run {
  lines: string[]
  signal: NodeJS.Signals | null
  code: number | null
  stderr: string
}

/**
 * Spawn a fixture and SIGKILL it: `killWhen(line)` returns a delay in ms to arm the kill when a
 * line arrives (or undefined to keep waiting); `killAfterSpawnMs` kills at a fixed time instead.
 * Only complete lines count: a line cut by the kill was never acted on.
 */
async function runAndKill(
  args: string[],
  options: { killWhen?: (line: string) => number | undefined; killAfterSpawnMs?: number }
): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  let armed = false
  const arm = (ms: number): void => {
    if (armed) return
    armed = true
    setTimeout(() => child.kill('SIGKILL'), ms)
  }
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      const line = partial.slice(0, i)
      partial = partial.slice(i + 1)
      lines.push(line)
      const delay = options.killWhen?.(line)
      if (delay !== undefined) arm(delay)
    }
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk
  })
  if (options.killAfterSpawnMs !== undefined) arm(options.killAfterSpawnMs)
  // a safety net: never leave a writer running if the trigger line does not come
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  clearTimeout(guard)
  return { lines, signal, code, stderr }
}

function rawQuery(path: string, sql: string): Array<Record<string, unknown>> {
  const db = new DatabaseSync(path)
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>
  } finally {
    db.close()
  }
}

describe('store: crash safety (SIGKILL)', () => {
  it(`kill loop: ${KILL_CYCLES} SIGKILLs during batched inserts, outbox writes and acks lose nothing acked`, async function () {
    this.timeout(30_000 + KILL_CYCLES * 5_000)
    const home = tempHome()
    try {
      /** Every id a transaction was about to write: no row may exist outside this set. */
      const attempted = new Set<string>()
      const ackedIn = new Set<string>()
      const enqueued = new Set<string>()
      const sent = new Set<string>()
      let commits = 0
      let cutTransactions = 0
      let killedBeforeReady = 0
      const started = Date.now()

      for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
        // most cycles kill a running writer; every fifth one kills it while it starts (opening, recovery)
        const early = cycle % 5 === 4
        const run = await runAndKill(
          [WRITER, home.dbPath],
          early
            ? { killAfterSpawnMs: randomInt(30, 400) }
            : { killWhen: (l) => (l === 'ready' ? randomInt(0, 150) : undefined) }
        )
        assert.equal(run.signal, 'SIGKILL', `writer exited by itself (code ${run.code}): ${run.stderr}`)
        if (!run.lines.includes('ready')) killedBeforeReady++

        let open: { op: string; ids: string[] } | undefined
        for (const l of run.lines) {
          const [kind, op = '', list = ''] = l.split(' ')
          if (kind === 'E') assert.fail(`writer invariant: ${l}`)
          if (kind !== 'T' && kind !== 'C') continue
          const ids = list.split(',')
          if (kind === 'T') {
            assert.equal(open, undefined, 'one transaction at a time')
            open = { op, ids }
            if (op === 'in' || op === 'out') for (const id of ids) attempted.add(id)
            continue
          }
          assert.deepEqual(open, { op, ids }, 'C matches the T before it')
          open = undefined
          commits++
          if (op === 'in') for (const id of ids) ackedIn.add(id)
          if (op === 'out') for (const id of ids) enqueued.add(id)
          if (op === 'sent') for (const id of ids) sent.add(id)
        }

        // restart: open as a node would (WAL recovery, migrations) and check
        const store = createStore({ path: home.dbPath })
        try {
          assert.equal(store.integrityCheck(), 'ok', `integrity after cycle ${cycle}`)
          assert.deepEqual(rawQuery(home.dbPath, 'PRAGMA foreign_key_check'), [])

          // the transaction the kill cut: all of it or none of it
          if (open !== undefined) {
            cutTransactions++
            const { op, ids } = open
            if (op === 'in' || op === 'out' || op === 'dup') {
              const present = ids.filter((id) => store.getMessage(id) !== undefined).length
              if (op === 'dup') assert.equal(present, ids.length, 'a re-delivered message is still there')
              else
                assert.ok(
                  present === 0 || present === ids.length,
                  `${op} batch half committed: ${present}/${ids.length}`
                )
              if (present === ids.length) for (const id of ids) (op === 'out' ? enqueued : ackedIn).add(id)
            } else if (op === 'sent') {
              const statuses = new Set(ids.map((id) => store.getMessage(id)?.status))
              assert.equal(statuses.size, 1, `markSent half committed: ${[...statuses]}`)
              if (statuses.has('sent')) for (const id of ids) sent.add(id)
            }
          }

          for (const id of ackedIn) {
            const m = store.getMessage(id)
            assert.equal(m?.direction, 'in', `acked incoming ${id} lost after cycle ${cycle}`)
            assert.ok(store.hasSeen(id))
          }
          for (const id of enqueued) {
            const m = store.getMessage(id)
            assert.ok(m !== undefined && m.direction === 'out', `committed outgoing ${id} lost after cycle ${cycle}`)
            if (sent.has(id)) {
              assert.equal(m.status, 'sent', `acked send ${id} went back to ${m.status}`)
              assert.equal(store.getOutboxEntry(id), undefined)
            } else if (m.status === 'queued') {
              assert.deepEqual(store.getOutboxEntry(id)?.envelope, envelopeFor(id), `outbox row of ${id}`)
            }
          }

          const rows = rawQuery(home.dbPath, 'SELECT id, direction FROM messages')
          for (const r of rows) assert.ok(attempted.has(r.id as string), `a row nobody wrote: ${r.id}`)
          const [counts] = rawQuery(
            home.dbPath,
            `SELECT
               (SELECT count(*) FROM seen_ids) AS seen,
               (SELECT count(*) FROM messages m LEFT JOIN outbox o ON o.message_id = m.id
                 WHERE (m.status = 'queued') <> (o.message_id IS NOT NULL)) AS outbox_mismatch`
          )
          assert.equal(counts!.seen, 0, 'seen ids are left only by deleted messages')
          assert.equal(counts!.outbox_mismatch, 0, "an outbox row exists exactly while its message is 'queued'")
          assert.ok(rows.length >= ackedIn.size + enqueued.size)
        } finally {
          store.close()
        }
      }
      assert.ok(ackedIn.size > 0 && enqueued.size > 0 && sent.size > 0, 'the writer got work done')
      console.log(
        `      ${KILL_CYCLES} kills in ${((Date.now() - started) / 1000).toFixed(1)} s: ${commits} commits acked ` +
          `(${ackedIn.size} incoming, ${enqueued.size} outgoing, ${sent.size} acks), ` +
          `${cutTransactions} kills inside a transaction, ${killedBeforeReady} before the store was open`
      )
    } finally {
      home.cleanup()
    }
  })

  it(`kill during migrations (${MIGRATION_KILL_CYCLES}x): the database stays at the old or the new schema`, async function () {
    this.timeout(30_000 + MIGRATION_KILL_CYCLES * 5_000)
    const SLOW_MS = 150
    const tablesAt = (version: number): string[] =>
      version === 0 ? [] : version === SCHEMA_VERSION ? TABLES : [...TABLES, 'kill_test'].sort()
    // where to stop the migrator and kill it: inside the real schema's transaction, halfway through
    // the big one (uncommitted pages already in the WAL), just before its commit; or (null) at a
    // random time from spawn: before, during or after the migrations
    const targets = [
      { version: 1, step: 'end' },
      { version: EXTRA_VERSION, step: 'middle' },
      { version: EXTRA_VERSION, step: 'end' },
      null
    ] as const
    const outcomes: string[] = []

    for (let cycle = 0; cycle < MIGRATION_KILL_CYCLES; cycle++) {
      const home = tempHome()
      try {
        const target = targets[cycle % targets.length]!
        const run = await runAndKill(
          target === null
            ? [MIGRATE, home.dbPath, String(SLOW_MS)]
            : [MIGRATE, home.dbPath, String(SLOW_MS), `${target.version}:${target.step}`],
          target === null
            ? { killAfterSpawnMs: randomInt(0, 1200) }
            : { killWhen: (l) => (l === 'paused' ? randomInt(0, 50) : undefined) }
        )
        if (target !== null) {
          assert.equal(run.signal, 'SIGKILL', `migrator exited by itself: ${run.stderr}`)
          assert.ok(run.lines.includes('paused'))
        }

        const [state] = rawQuery(home.dbPath, 'SELECT * FROM pragma_user_version, pragma_integrity_check')
        const version = state!.user_version as number
        assert.equal(state!.integrity_check, 'ok')
        if (target !== null) assert.equal(version, target.version - 1, 'killed inside migration N: still at N-1')
        assert.ok([0, SCHEMA_VERSION, EXTRA_VERSION].includes(version), `version ${version}`)
        const names = rawQuery(
          home.dbPath,
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).map((r) => r.name as string)
        assert.deepEqual(names, tablesAt(version), `schema matches version ${version}`)
        if (version === EXTRA_VERSION) {
          assert.equal(rawQuery(home.dbPath, 'SELECT count(*) AS n FROM kill_test')[0]!.n, EXTRA_ROWS)
        }
        outcomes.push(`${run.signal === 'SIGKILL' ? 'killed' : 'finished'} at v${version}`)

        // the next start finishes the job
        const store = createStore({ path: home.dbPath, migrations: slowMigrations() })
        assert.equal(store.schemaVersion, EXTRA_VERSION)
        assert.equal(store.integrityCheck(), 'ok')
        store.close()
        assert.equal(rawQuery(home.dbPath, 'SELECT count(*) AS n FROM kill_test')[0]!.n, EXTRA_ROWS)
        // and a build that knows only the real migrations refuses it
        assert.throws(() => createStore({ path: home.dbPath }), { name: 'StoreVersionError' })
      } finally {
        home.cleanup()
      }
    }
    console.log(`      ${outcomes.join(', ')}`)
  })
})
