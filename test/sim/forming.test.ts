/**
 * How the simulator grows a network: batches held back while earlier joiners have not published,
 * and the seed nodes in a worker of their own. The handle here is scripted, so a test decides who
 * has published: a stalled network cannot be staged on demand with real nodes.
 */
import assert from 'node:assert/strict'
import {
  BOOTSTRAP_SEEDS,
  bootstrapFor,
  JOINED_CONTACTS,
  joinInBatches,
  joinThenPublish,
  waitPublished,
  waitQuiet,
  workerOf
} from '../../src/sim/index.ts'
import { sleep, waitFor } from '../helpers/p2p.ts'

/** A handle whose nodes publish when the test says so. */
function scriptedHandle() {
  const started: number[] = []
  const storedProfiles = new Set<number>()
  return {
    started,
    storedProfiles,
    handle: {
      start: async (index: number, _bootstrap: string[]) => {
        started.push(index)
        return `/memory/${index}`
      },
      published: async (index: number) => storedProfiles.has(index)
    }
  }
}

/** A handle whose routing tables and stored profiles the test sets, noting the order of calls. */
function heldHandle() {
  const calls: string[] = []
  const tables = new Map<number, number>()
  const storedProfiles = new Set<number>()
  /** What a rejoin does to a node's table: nothing unless a test says. */
  const onRejoin = new Map<number, () => void>()
  /** Completed self-lookups per node. */
  const selfLookups = new Map<number, number>()
  return {
    calls,
    tables,
    storedProfiles,
    onRejoin,
    selfLookups,
    handle: {
      rejoin: async (index: number) => {
        calls.push(`rejoin ${index}`)
        onRejoin.get(index)?.()
      },
      start: async (index: number, _bootstrap: string[], options?: { publish?: boolean }) => {
        calls.push(`start ${index}${options?.publish === false ? ' held' : ''}`)
        return `/memory/${index}`
      },
      publish: async (index: number) => {
        calls.push(`publish ${index}`)
      },
      joinState: async (index: number) => ({
        contacts: tables.get(index) ?? 0,
        selfLookups: selfLookups.get(index) ?? 0
      }),
      published: async (index: number) => storedProfiles.has(index)
    }
  }
}

describe('sim: forming the network', () => {
  it('gives each joiner two of the seeds to bootstrap through, spread evenly, the same for the same node', () => {
    const seeds = Array.from({ length: 8 }, (_, i) => `/ip4/127.0.0.1/tcp/${4000 + i}`)
    const perSeed = new Map<string, number>()
    for (let node = 8; node < 408; node++) {
      const list = bootstrapFor(node, seeds)
      assert.equal(list.length, BOOTSTRAP_SEEDS)
      assert.equal(new Set(list).size, BOOTSTRAP_SEEDS, `node ${node}: ${list}`)
      assert.deepEqual(bootstrapFor(node, seeds), list)
      for (const a of list) perSeed.set(a, (perSeed.get(a) ?? 0) + 1)
    }
    // 400 joiners × 2 over 8 seeds: 100 each
    assert.deepEqual([...perSeed.values()], Array(8).fill(100))
    // with no more seeds than that, every joiner gets them all
    assert.deepEqual(bootstrapFor(5, seeds.slice(0, 2)), seeds.slice(0, 2))
    assert.deepEqual(bootstrapFor(5, seeds.slice(0, 1)), seeds.slice(0, 1))
  })

  it('"after-join": starts every joiner held back, paced on routing tables, then publishes seeds first', async () => {
    const { handle, calls, tables, storedProfiles } = heldHandle()
    const published = new Set<number>()
    const joiners = [2, 3, 4, 5]
    const done = joinThenPublish({
      handle,
      seeds: [0, 1],
      joiners,
      seedAddrs: ['/memory/0', '/memory/1'],
      batch: 2,
      batchWaitMs: 60_000,
      deadline: Date.now() + 60_000,
      published,
      onChange: () => {}
    })
    await sleep(400)
    assert.deepEqual(calls, ['start 2 held', 'start 3 held'], 'the next batch started before this one joined')
    // a table of 3 is all the first batch can have: the two seeds and each other
    tables.set(2, 3)
    tables.set(3, 2)
    await sleep(400)
    assert.equal(calls.length, 2, 'a joiner with 2 of 3 possible contacts counted as joined')
    tables.set(3, 3)
    await waitFor(() => calls.length === 4, 'the second batch')
    assert.deepEqual(calls.slice(2), ['start 4 held', 'start 5 held'])
    for (const n of [4, 5]) tables.set(n, JOINED_CONTACTS)
    await waitFor(() => calls.length === 6, 'the first publishes')
    assert.deepEqual(calls.slice(4), ['publish 0', 'publish 1'], 'the seeds publish first, once all have joined')
    await sleep(400)
    assert.equal(calls.length, 6, 'the next publish batch did not wait for this one')
    storedProfiles.add(0)
    storedProfiles.add(1)
    await waitFor(() => calls.length === 8, 'the second publishes')
    for (const n of joiners) storedProfiles.add(n)
    await done
    assert.deepEqual(calls.slice(6), ['publish 2', 'publish 3', 'publish 4', 'publish 5'])
    assert.deepEqual(
      [...published].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5]
    )
  })

  it('"after-join": a joiner has joined with K contacts or a completed self-lookup; one with neither looks itself up again', async () => {
    const { handle, calls, tables, onRejoin, selfLookups } = heldHandle()
    let rejoinedAt = 0
    const startedAt = Date.now()
    // node 4's first self-query timed out: its rejoin's walk runs its course, meeting 2 peers
    onRejoin.set(4, () => {
      rejoinedAt = Date.now()
      tables.set(4, 2)
      selfLookups.set(4, 1)
    })
    const done = joinThenPublish({
      handle,
      seeds: [0, 1],
      joiners: [2, 3, 4, 5],
      seedAddrs: ['/memory/0', '/memory/1'],
      batch: 4,
      batchWaitMs: 60_000,
      rejoinAfterMs: 500,
      deadline: Date.now() + 60_000,
      published: new Set([0, 1, 2, 3, 4, 5]),
      onChange: () => {}
    })
    tables.set(2, JOINED_CONTACTS) // a full table
    tables.set(3, 4) // a short table, but its self-query ran its course
    selfLookups.set(3, 1)
    tables.set(4, 1)
    tables.set(5, 0) // a self-lookup that met no one is no join
    selfLookups.set(5, 1)
    onRejoin.set(5, () => tables.set(5, 3))
    await waitFor(() => calls.includes('publish 0'), 'the publishes, once every node had joined')
    await done
    assert.deepEqual(
      calls.filter((c) => c.startsWith('rejoin')),
      ['rejoin 4', 'rejoin 5'],
      'only the joiners that had not joined rejoined, once each'
    )
    assert.ok(rejoinedAt - startedAt >= 450, `rejoined ${rejoinedAt - startedAt} ms in, before its 500 ms`)
  })

  it('holds the next batch while more than half a batch of started nodes have not published', async () => {
    const { handle, started, storedProfiles } = scriptedHandle()
    const published = new Set<number>()
    const joiners = Array.from({ length: 12 }, (_, i) => i + 3)
    const reports: number[] = []
    const joined = joinInBatches({
      handle,
      joiners,
      seedAddrs: ['/memory/0'],
      batch: 4,
      batchWaitMs: 100,
      deadline: Date.now() + 60_000,
      published,
      onChange: (n) => reports.push(n)
    })
    await waitFor(() => reports.length > 0, 'the first batch')
    await sleep(700)
    // the batch's own wait is long over, but 4 of its nodes have not published
    assert.deepEqual(started, [3, 4, 5, 6])
    storedProfiles.add(3)
    await sleep(500)
    assert.equal(started.length, 4, 'a backlog of 3 is still more than half a batch')
    storedProfiles.add(4)
    await waitFor(() => started.length > 4, 'the second batch')
    assert.deepEqual(started, [3, 4, 5, 6, 7, 8, 9, 10])
    for (const n of joiners) storedProfiles.add(n)
    await joined
    assert.deepEqual(started, joiners)
    assert.deepEqual(
      [...published].sort((a, b) => a - b),
      joiners
    )
    assert.equal(reports.at(-1), 12)
  })

  it('stops holding batches back once the deadline has passed', async () => {
    const { handle, started } = scriptedHandle()
    const t0 = Date.now()
    await joinInBatches({
      handle,
      joiners: [1, 2, 3, 4, 5, 6],
      seedAddrs: [],
      batch: 2,
      deadline: Date.now() + 300,
      published: new Set(),
      onChange: () => {}
    })
    assert.deepEqual(started, [1, 2, 3, 4, 5, 6])
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`)
  })

  it('waits until at most `missing` nodes lack a profile, asking no node twice once it published', async () => {
    const asked = new Map<number, number>()
    const storedProfiles = new Set([1, 2])
    const handle = {
      published: async (i: number) => {
        asked.set(i, (asked.get(i) ?? 0) + 1)
        return storedProfiles.has(i)
      }
    }
    const published = new Set<number>()
    setTimeout(() => storedProfiles.add(3), 300)
    await waitPublished(handle, [1, 2, 3, 4], Date.now() + 10_000, published, () => {}, { missing: 1 })
    assert.deepEqual([...published].sort(), [1, 2, 3])
    assert.equal(asked.get(1), 1)
    assert.ok((asked.get(4) ?? 0) >= 2)
  })

  it('stops waiting for a few stragglers once none has published for a while, and names them', async () => {
    const storedProfiles = new Set([1, 2])
    const handle = { published: async (i: number) => storedProfiles.has(i) }
    const t0 = Date.now()
    setTimeout(() => storedProfiles.add(3), 400)
    const left = await waitPublished(handle, [1, 2, 3, 4], Date.now() + 20_000, new Set(), () => {}, {
      stragglers: { max: 1, quietMs: 600 }
    })
    assert.deepEqual(left, [4])
    // node 3's profile at 400 ms restarted the quiet time: not before 1 s
    assert.ok(Date.now() - t0 >= 1_000, `after ${Date.now() - t0} ms`)
    assert.ok(Date.now() - t0 < 10_000, `after ${Date.now() - t0} ms`)
  })

  it('keeps waiting while more than the allowed stragglers lack a profile', async () => {
    const storedProfiles = new Set([1, 2])
    const handle = { published: async (i: number) => storedProfiles.has(i) }
    const t0 = Date.now()
    const left = await waitPublished(handle, [1, 2, 3, 4], Date.now() + 1_500, new Set(), () => {}, {
      stragglers: { max: 1, quietMs: 100 }
    })
    assert.deepEqual(left, [3, 4])
    assert.ok(Date.now() - t0 >= 1_500, `after ${Date.now() - t0} ms`)
  })

  it('puts the seed nodes in a worker of their own and spreads the rest', () => {
    const seeds = new Set([0, 1, 2])
    assert.deepEqual(
      Array.from({ length: 9 }, (_, i) => workerOf(i, seeds, 2)),
      [2, 2, 2, 1, 0, 1, 0, 1, 0]
    )
  })

  /** A handle whose stats report these busy counts (active + recent puts), one per read, then the last. */
  const republishing = (busy: number[]) => {
    let reads = 0
    return {
      get reads() {
        return reads
      },
      handle: {
        stats: async () => {
          const b = busy[Math.min(reads, busy.length - 1)]!
          reads++
          return {
            rss: 0,
            bytesSent: 0,
            loopDelayMs: { p50: 0, p99: 0 },
            dht: [],
            publishes: { total: 100 + reads, active: b, recent: 0 },
            cpuS: 0
          }
        }
      }
    }
  }

  it('waits for republishing to calm: at most the allowed nodes busy at two reads in a row', async () => {
    const r = republishing([10, 5, 2, 3, 0, 1])
    const seen: number[] = []
    const activity = await waitQuiet({
      handle: r.handle,
      allowed: 2,
      deadline: Date.now() + 60_000,
      pollMs: 10,
      onActivity: (n) => seen.push(n)
    })
    // 2 is calm, 3 is not, then 0 and 1 are two calm reads in a row
    assert.equal(r.reads, 6)
    assert.deepEqual(seen, [10, 5, 2, 3, 0])
    assert.equal(activity.total, 106, 'the counts of the last read')
  })

  it('stops waiting for republishing at the deadline', async () => {
    const r = republishing([50])
    const t0 = Date.now()
    await waitQuiet({ handle: r.handle, allowed: 2, deadline: Date.now() + 300, pollMs: 20 })
    assert.ok(Date.now() - t0 >= 300, `after ${Date.now() - t0} ms`)
    assert.ok(r.reads >= 5, `${r.reads} reads`)
  })
})
