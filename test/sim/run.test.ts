import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makePlan, parseScenario, runSimulation, simulationNodeOptions, writeReport } from '../../src/sim/index.ts'
import { tempDir } from '../helpers/cli.ts'
import { sleep } from '../helpers/p2p.ts'

describe('sim: runs with real nodes', function () {
  this.timeout(300_000)

  it('with no faults every message is delivered exactly once, and the report says so', async () => {
    const scenario = parseScenario({
      nodes: 12,
      seed: 11,
      workload: { messages: 30, duration: 4, lookups: 10 },
      settle: 120
    })
    const r = await runSimulation({ scenario })
    assert.equal(r.summary.messages.sent, 30)
    assert.equal(r.summary.messages.delivered, 30)
    assert.equal(r.summary.messages.duplicates, 0)
    assert.equal(r.summary.messages.lost, 0)
    // a 12-node run waits for every node's profile: no stragglers allowed below 500 nodes
    assert.equal(r.summary.unpublished, 0)
    // every node put its profile at least once before the workload; the run waited at least the two reads
    assert.ok(r.summary.publishes.forming >= 12, JSON.stringify(r.summary.publishes))
    assert.ok(r.summary.publishes.quietWaitS >= 1.9 && r.summary.publishes.workload >= 0)
    // the workload ran 4 s and settled; the CPU it used fits in that time on this machine's cores
    const cpu = r.summary.cpuS
    assert.ok(cpu.forming > 0 && cpu.workload > 0 && cpu.workloadWallS >= 4 && cpu.cores >= 1, JSON.stringify(cpu))
    assert.ok(cpu.workload <= cpu.workloadWallS * cpu.cores * 1.2, JSON.stringify(cpu))
    assert.ok(r.summary.latencyMs.p50 !== null && r.summary.latencyMs.p50 >= 0)
    assert.ok(r.summary.lookupMs.ok > 0)
    // the DHT's part of each lookup: a first record, no later than the lookup's end
    for (const l of r.lookups.filter((x) => x.ok))
      assert.ok(l.firstRecordMs !== null && l.firstRecordMs <= l.ms! && l.records >= 1, JSON.stringify(l))
    assert.ok(r.summary.lookupFirstRecordMs.p50! <= r.summary.lookupMs.p50!, JSON.stringify(r.summary))
    assert.ok(r.summary.bytesSent > 0)
    // no `dht` in the scenario: production's Kad-DHT settings
    assert.deepEqual(r.summary.dht, { alpha: 10, disjointPaths: 10, verifyNewContacts: true })
    for (const m of r.messages) {
      assert.equal(m.status, 'delivered')
      // a message is queued (sealed, its recipient looked up) after the send call and before delivery
      assert.ok(m.sentAt! <= m.queuedAt! && m.queuedAt! <= m.deliveredAt!, JSON.stringify(m))
    }
    assert.ok(r.summary.queuedMs.p50! + r.summary.deliveryMs.p50! >= 0.5 * r.summary.latencyMs.p50!)
    assert.ok(
      r.summary.queuedMs.max! <= r.summary.latencyMs.max! && r.summary.deliveryMs.max! <= r.summary.latencyMs.max!
    )

    const dir = tempDir()
    try {
      const files = await writeReport(dir.path, r)
      assert.equal(files.length, 8)
      const summary = JSON.parse(readFileSync(join(dir.path, 'summary.json'), 'utf8'))
      for (const key of [
        'nodes',
        'seed',
        'messages',
        'latencyMs',
        'lookupMs',
        'bytesSent',
        'rssMB',
        'durationS',
        'queuedMs',
        'deliveryMs'
      ])
        assert.ok(key in summary, key)
      // the event loop's lateness during the workload, in ms (a 12-node run never waits seconds)
      assert.ok(summary.eventLoopDelayMs.p99 >= summary.eventLoopDelayMs.p50, JSON.stringify(summary.eventLoopDelayMs))
      assert.ok(
        summary.eventLoopDelayMs.p50 >= 0 && summary.eventLoopDelayMs.p99 < 5_000,
        JSON.stringify(summary.eventLoopDelayMs)
      )
      const rows = readFileSync(join(dir.path, 'events.csv'), 'utf8').trim().split('\n')
      assert.equal(rows[0], 'seq,from,to,plannedAtMs,sentAtMs,deliveredAtMs,latencyMs,duplicates,status,queuedAtMs')
      assert.equal(rows.length, 31)
      // the first three columns are the plan's, decided by the seed alone
      const plan = makePlan(scenario)
      rows.slice(1).forEach((row, i) => {
        const [seq, from, to] = row.split(',').map(Number)
        assert.deepEqual([seq, from, to], [plan.messages[i]!.seq, plan.messages[i]!.from, plan.messages[i]!.to])
      })
      const lookupRows = readFileSync(join(dir.path, 'lookups.csv'), 'utf8').trim().split('\n')
      assert.equal(lookupRows[0], 'atMs,from,target,ms,ok,firstRecordMs,records')
      assert.equal(lookupRows.length, 1 + r.lookups.length)
      // the network's formation: sampled at each change, never going back, ending with every node
      // started and published at the moment the summary says it formed
      const formingRows = readFileSync(join(dir.path, 'forming.csv'), 'utf8').trim().split('\n')
      assert.equal(formingRows[0], 'atMs,started,published')
      const samples = formingRows.slice(1).map((row) => row.split(',').map(Number))
      assert.ok(samples.length >= 3, formingRows.join('; '))
      for (let i = 1; i < samples.length; i++) {
        const [at, started, published] = samples[i]!
        const [atBefore, startedBefore, publishedBefore] = samples[i - 1]!
        assert.ok(
          at! >= atBefore! && started! >= startedBefore! && published! >= publishedBefore!,
          formingRows.join('; ')
        )
        assert.ok(published! <= started!, formingRows[i + 1])
      }
      const [formedAt, startedAtEnd, publishedAtEnd] = samples.at(-1)!
      assert.deepEqual([startedAtEnd, publishedAtEnd], [12, 12])
      assert.ok(Math.abs(formedAt! / 1000 - r.summary.formationS) < 0.2, `${formedAt} ms, ${r.summary.formationS} s`)
      // routable once every node had published and the probe found its targets, before it formed
      const routable = r.summary.routableS
      assert.ok(routable !== null && routable <= r.summary.formationS, `routable after ${routable} s`)
      assert.ok(samples.some(([at, , published]) => published === 12 && at! <= routable * 1000 + 100))
      for (const svg of ['latency-cdf.svg', 'deliveries.svg', 'lookups.svg', 'forming.svg']) {
        assert.match(readFileSync(join(dir.path, svg), 'utf8'), /^<svg /)
      }
    } finally {
      dir.cleanup()
    }
  })

  it('with "publish": "after-join", holds every profile until all nodes have joined, and still delivers', async () => {
    const scenario = parseScenario({
      nodes: 12,
      seed: 13,
      workload: { messages: 20, duration: 3, lookups: 6 },
      settle: 120,
      publish: 'after-join'
    })
    // batches of 4: published with each batch as it joins, profiles would be stored from the first
    const r = await runSimulation({ scenario, batch: 4 })
    assert.equal(r.summary.publishes.when, 'after-join')
    // no profile was stored anywhere before the last node had started
    const early = r.forming.filter((f) => f.published > 0 && f.started < 12)
    assert.deepEqual(early, [], JSON.stringify(r.forming))
    // routable before any profile was stored: the probe's resolves found their targets by peer
    // routing and asking them
    const routable = r.summary.routableS
    assert.ok(routable !== null && routable < r.summary.formationS, `routable after ${routable} s`)
    const storedBy = r.forming.filter((f) => f.atMs <= routable * 1000 - 100).map((f) => f.published)
    assert.ok(storedBy.length > 0 && storedBy.every((p) => p === 0), JSON.stringify([routable, r.forming]))
    assert.deepEqual([r.forming.at(-1)?.started, r.forming.at(-1)?.published], [12, 12])
    assert.ok(r.summary.publishes.forming >= 12, JSON.stringify(r.summary.publishes))
    assert.equal(r.summary.messages.delivered, 20)
    assert.equal(r.summary.messages.lost, 0)
    assert.equal(r.summary.lookupMs.ok, 6)
  })

  it('with churn and a partition nothing is lost once the network heals', async () => {
    const scenario = parseScenario({
      nodes: 12,
      seed: 5,
      workload: { messages: 40, duration: 8, lookups: 0 },
      faults: [
        { type: 'churn', fraction: 0.3, window: [0.5, 3], down: [2, 4] },
        { type: 'partition', at: 2, duration: 3, groups: 2 }
      ],
      settle: 150
    })
    const r = await runSimulation({
      scenario,
      nodeOptions: { ...simulationNodeOptions(), backoff: { baseMs: 200, capMs: 2_000 } }
    })
    assert.equal(r.summary.faults.churned, 3)
    assert.equal(r.summary.faults.partitions, 1)
    assert.equal(r.summary.messages.lost, 0, JSON.stringify(r.messages.filter((m) => m.status !== 'delivered')))
    assert.equal(r.summary.messages.delivered, 40)
    assert.equal(r.summary.messages.duplicates, 0)
  })

  // in one process, and on workers, where the senders' outboxes are read in other processes
  for (const workers of [0, 2]) {
    it(`counts a message the run ended before as still queued in its outbox, not as lost (${workers} workers)`, async () => {
      // a partition until the workload's end and no settle time: messages across it cannot land
      const scenario = parseScenario({
        nodes: 10,
        seed: 7,
        workers,
        workload: { messages: 24, duration: 4, lookups: 0 },
        faults: [{ type: 'partition', at: 0.5, duration: 3.5, groups: 2 }],
        settle: 0
      })
      const r = await runSimulation({ scenario })
      const m = r.summary.messages
      const detail = JSON.stringify(r.messages.filter((x) => x.status !== 'delivered'))
      assert.equal(r.summary.workers, workers)
      assert.equal(m.sent, 24)
      assert.ok(m.queued > 0, detail)
      assert.equal(m.lost, 0, detail)
      assert.equal(m.delivered + m.queued, 24, detail)
      assert.equal(r.messages.filter((x) => x.status === 'queued').length, m.queued)
    })
  }

  it('spreads nodes over worker processes talking TCP', async () => {
    const scenario = parseScenario({
      nodes: 8,
      workers: 2,
      seed: 2,
      workload: { messages: 12, duration: 3, lookups: 4 },
      settle: 120,
      dht: { alpha: 3, verifyNewContacts: false },
      // the workers hold profiles back and publish on the coordinator's word
      publish: 'after-join'
    })
    const own = process.cpuUsage()
    const r = await runSimulation({ scenario })
    const ownUsage = process.cpuUsage(own)
    const ownS = (ownUsage.user + ownUsage.system) / 1e6
    assert.deepEqual(r.summary.dht, { alpha: 3, disjointPaths: 3, verifyNewContacts: false })
    assert.equal(r.summary.workers, 2)
    assert.equal(r.summary.transport, 'tcp')
    assert.equal(r.summary.messages.delivered, 12)
    assert.equal(r.summary.messages.lost, 0)
    // put counts come back from every worker (and the seeds' process)
    assert.ok(r.summary.publishes.forming >= 8, JSON.stringify(r.summary.publishes))
    assert.deepEqual(
      r.forming.filter((f) => f.published > 0 && f.started < 8),
      [],
      'a profile was stored before every node had joined'
    )
    // so does CPU time: the workers' nodes did the forming, not this (the coordinator's) process
    const { forming, workload } = r.summary.cpuS
    assert.ok(forming + workload > ownS + 1, `${JSON.stringify(r.summary.cpuS)} against this process's ${ownS} s`)
  })

  it('lets every worker exit by itself, so what Node writes on exit (a CPU profile) is written', async () => {
    const { path: dir, cleanup } = tempDir('parley-sim-prof-')
    const before = process.env.NODE_OPTIONS
    // forked workers inherit the environment: each writes a profile as it exits
    process.env.NODE_OPTIONS = `${before ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim()
    try {
      const scenario = parseScenario({ nodes: 6, workers: 2, seed: 5, workload: { messages: 3, duration: 1 } })
      const r = await runSimulation({ scenario })
      assert.equal(r.summary.messages.delivered, 3)
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS
      else process.env.NODE_OPTIONS = before
    }
    // two workers and the seeds' process
    try {
      const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
      assert.equal(profiles.length, 3, profiles.join(', '))
      for (const f of profiles) assert.ok(JSON.parse(readFileSync(join(dir, f), 'utf8')).nodes.length > 0)
    } finally {
      cleanup()
    }
  })

  it('ends with SimulationWorkerError when a worker dies, and leaves no worker running', async () => {
    const scenario = parseScenario({ nodes: 8, workers: 2, seed: 4, workload: { messages: 4, duration: 2 } })
    const run = runSimulation({ scenario })
    const outcome = run.then(
      () => undefined,
      (err: Error) => err
    )
    // two workers and the seeds' process, all children of this one
    let workers: number[] = []
    for (let i = 0; i < 300 && workers.length < 3; i++) {
      await sleep(100)
      workers = simulationWorkers()
    }
    assert.equal(workers.length, 3)
    process.kill(workers[0]!, 'SIGKILL')
    const err = await outcome
    assert.equal(err?.name, 'SimulationWorkerError', String(err))
    assert.match(err.message, /simulation worker \d exited \(SIGKILL\)/)
    for (let i = 0; i < 200 && simulationWorkers().length > 0; i++) await sleep(100)
    assert.deepEqual(simulationWorkers(), [])
  })
})

/** PIDs of this process's live simulation workers. */
function simulationWorkers(): number[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,stat=,args='], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([pid, stat, ...args]) => pid !== undefined && !stat?.startsWith('Z') && args.join(' ').includes('sim/worker')
    )
    .map(([pid]) => Number(pid))
}
