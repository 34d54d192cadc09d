/**
 * A cache of resolved directory records, so a restart does not have to walk the DHT for every peer.
 * The directory layer verifies a record before putting it and again after reading it back; the
 * store only keeps the bytes, never lets a lower sequence number replace a higher one, and bounds
 * the cache's size.
 */
import { MAX_CACHED_PEER_RECORD_BYTES, MAX_CACHED_PEER_RECORDS, MAX_STORE_LIST_LIMIT } from '../constants.ts'
import { StoreInputError } from '../errors.ts'
import { checkBytes, checkPeerId, checkTime, checkUint, listLimit } from './check.ts'
import type { StoreContext } from './context.ts'
import { PEER_COLUMNS, toPeerRecord } from './rows.ts'
import type { PeerRecordEntry } from './types.ts'

export function createPeers(ctx: StoreContext) {
  const { db } = ctx
  // equal seq replaces too: the same record fetched again refreshes fetched_at (and a re-signed copy)
  const upsert = db.prepare(`
    INSERT INTO peers (peer_id, record, seq, expires_at, fetched_at)
    VALUES ($peer_id, $record, $seq, $expires_at, $fetched_at)
    ON CONFLICT (peer_id) DO UPDATE SET
      record = excluded.record, seq = excluded.seq, expires_at = excluded.expires_at, fetched_at = excluded.fetched_at
    WHERE excluded.seq >= peers.seq`)
  const count = db.prepare('SELECT count(*) AS n FROM peers')
  const evict = db.prepare(
    'DELETE FROM peers WHERE peer_id IN (SELECT peer_id FROM peers ORDER BY expires_at, fetched_at LIMIT ?)'
  )
  const getOne = db.prepare(`SELECT ${PEER_COLUMNS} FROM peers WHERE peer_id = ?`)
  const deleteOne = db.prepare('DELETE FROM peers WHERE peer_id = ?')
  const prune = db.prepare('DELETE FROM peers WHERE expires_at <= ?')
  const list = db.prepare(`SELECT ${PEER_COLUMNS} FROM peers ORDER BY fetched_at DESC, peer_id LIMIT ?`)

  return {
    /**
     * Cache a record. False (and nothing changes) if the cache holds one with a higher seq: a
     * resolver must never roll a peer back to older addresses or keys.
     */
    putPeerRecord(entry: PeerRecordEntry): boolean {
      if (entry === null || typeof entry !== 'object') throw new StoreInputError('entry must be an object', 'entry')
      const row = {
        peer_id: checkPeerId(entry.peerId, 'peerId'),
        record: checkBytes(entry.record, 'record', MAX_CACHED_PEER_RECORD_BYTES),
        seq: checkUint(entry.seq, 'seq'),
        expires_at: checkTime(entry.expiresAt, 'expiresAt'),
        fetched_at: checkTime(entry.fetchedAt, 'fetchedAt')
      }
      return ctx.write(() => {
        if (upsert.run(row).changes === 0) return false
        const over = (count.get()?.n as number) - MAX_CACHED_PEER_RECORDS
        if (over > 0) evict.run(over)
        return true
      })
    },

    /** The cached record, expired or not (the caller compares expiresAt with its clock). */
    getPeerRecord(peerId: string): PeerRecordEntry | undefined {
      const p = checkPeerId(peerId, 'peerId')
      return ctx.read(() => {
        const row = getOne.get(p)
        return row === undefined ? undefined : toPeerRecord(row)
      })
    },

    /** Drop a cached record (a failed dial: resolve again past the cache). */
    deletePeerRecord(peerId: string): boolean {
      const p = checkPeerId(peerId, 'peerId')
      return ctx.write(() => deleteOne.run(p).changes > 0)
    },

    /** Drop records that expired at or before `now`. Returns how many. */
    prunePeerRecords(now: number): number {
      const t = checkTime(now, 'now')
      return ctx.write(() => Number(prune.run(t).changes))
    },

    /** Most recently fetched first. */
    listPeerRecords(options: { limit?: number } = {}): PeerRecordEntry[] {
      const n = listLimit(options.limit, MAX_STORE_LIST_LIMIT)
      return ctx.read(() => list.all(n).map(toPeerRecord))
    }
  }
}

export type Peers = ReturnType<typeof createPeers>
