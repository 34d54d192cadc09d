/**
 * The short summary `parley sim` prints at the end of a run (without --json): each figure of
 * summary.json where a reader looks for it, and the warnings only when they apply.
 */
import assert from 'node:assert/strict'
import { distribution, formatSummary, type Summary } from '../../src/sim/index.ts'

/** A summary of a quiet 1,000-node worker run, for a test to change one part of. */
function summary(): Summary {
  return {
    nodes: 1000,
    seed: 9,
    transport: 'tcp',
    workers: 4,
    messages: { planned: 200, sent: 200, delivered: 199, duplicates: 0, queued: 0, lost: 1, undeliverable: 0 },
    latencyMs: distribution([100, 255, 605]),
    queuedMs: distribution([60, 180, 400]),
    deliveryMs: distribution([40, 75, 205]),
    lookupMs: { ...distribution([150, 197, 453]), ok: 99, failed: 1 },
    lookupFirstRecordMs: distribution([80, 105]),
    bytesSent: 220 * 1048576,
    rssMB: { total: 4852, perNode: 4.85 },
    eventLoopDelayMs: { p50: 10, p99: 76 },
    cpuS: { forming: 1480, workload: 98.5, workloadWallS: 70, cores: 2 },
    durationS: 759.2,
    formationS: 694.6,
    routableS: 677.7,
    unpublished: 0,
    publishes: { forming: 1643, workload: 11, quietWaitS: 16.9, when: 'on-start' },
    faults: { churned: 0, partitions: 0, misbehaving: 0, linkChanges: 0 },
    dht: { alpha: 3, disjointPaths: 1, verifyNewContacts: false }
  }
}

describe('sim: the terminal summary', () => {
  it('gives the run, messages, latency, lookups, traffic, puts and DHT settings on their own lines', () => {
    const lines = formatSummary(summary()).split('\n')
    assert.equal(
      lines[0],
      'Parley simulation: 1000 nodes (tcp, 4 workers), seed 9, 759.2 s (routable after 677.7 s, network formed in 694.6 s)'
    )
    assert.equal(lines[1], 'messages   199/200 delivered, 1 lost, 0 duplicates')
    assert.equal(
      lines[2],
      "latency    p50 255 ms, p90 605 ms, p99 605 ms, max 605 ms; queued (sealed, after a first message's lookup) p50 180 ms, then to the inbox p50 75 ms"
    )
    assert.equal(
      lines[3],
      'lookups    99 ok, 1 failed; p50 197 ms, p90 453 ms, p99 453 ms; first record p50 80 ms, p90 105 ms'
    )
    assert.equal(lines[4], 'traffic    220.0 MiB sent; memory 4852 MB RSS (4.85 MB per node)')
    assert.equal(
      lines[5],
      'publishes  1643 profile puts while forming (16.9 s waiting for republishing to calm), 11 during the workload'
    )
    assert.equal(
      lines[6],
      'cpu        1480 CPU-s forming, 98.5 CPU-s in the 70 s of workload and settling (70 % of 2 cores); event loop late by p50 10 ms, p99 76 ms'
    )
    assert.equal(lines[7], 'dht        alpha 3, 1 disjoint paths, new contacts taken in unpinged')
    assert.equal(lines.length, 8, 'no faults line for a run without faults')
  })

  it('names the messages still queued at the end apart from the lost ones, only when there are some', () => {
    const s = summary()
    s.messages = { ...s.messages, delivered: 190, queued: 9, lost: 1 }
    assert.equal(
      formatSummary(s).split('\n')[1],
      'messages   190/200 delivered, 1 lost, 0 duplicates, 9 still queued at the end'
    )
  })

  it('names stragglers, unsent messages, faults and a saturated CPU only when there are some', () => {
    const s = summary()
    s.unpublished = 2
    s.messages = { ...s.messages, planned: 210, undeliverable: 3 }
    s.eventLoopDelayMs = { p50: 120, p99: 900 }
    s.faults = { churned: 5, partitions: 1, misbehaving: 2, linkChanges: 0 }
    s.publishes = { ...s.publishes, when: 'after-join' }
    s.routableS = null
    s.latencyMs = distribution([])
    s.queuedMs = distribution([])
    s.deliveryMs = distribution([])
    const text = formatSummary(s)
    assert.match(text, / s \(never routable, network formed in 694\.6 s, 2 nodes still unpublished\)/)
    assert.match(text, /0 duplicates, 3 to misbehaving nodes, 10 never sent\n/)
    assert.match(text, /latency {4}p50 –, p90 –, p99 –, max –; queued .* p50 –, then to the inbox p50 –\n/)
    assert.match(text, /p99 900 ms \(CPU saturated: /)
    assert.match(text, /1643 profile puts while forming \(held until every node had joined\) \(16\.9 s/)
    assert.match(text, /faults {5}5 restarts, 1 partitions, 2 misbehaving nodes, 0 link changes/)
  })

  it('calls the CPU saturated when the processes used 90 % of every core, however punctual the loop', () => {
    const s = summary()
    s.cpuS = { forming: 3000, workload: 136, workloadWallS: 76, cores: 2 }
    s.eventLoopDelayMs = { p50: 48, p99: 1320 }
    assert.match(formatSummary(s), /\(89 % of 2 cores\); event loop late by p50 48 ms, p99 1320 ms\n/)
    s.cpuS.workload = 137
    assert.match(formatSummary(s), /\(90 % of 2 cores\); event loop late by p50 48 ms, p99 1320 ms \(CPU saturated: /)
  })
})
