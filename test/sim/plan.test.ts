import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ScenarioError } from '../../src/errors.ts'
import { derive, makePlan, parseScenario, readScenarioFile, simIdentity } from '../../src/sim/index.ts'
import { tempDir } from '../helpers/cli.ts'

describe('sim: scenarios and plans', () => {
  it('the same seed gives the same identities, workload and faults', () => {
    const s = parseScenario({
      nodes: 40,
      seed: 7,
      workload: { messages: 200, duration: 30 },
      faults: [{ type: 'churn', fraction: 0.2 }]
    })
    const a = makePlan(s)
    const b = makePlan(s)
    assert.deepEqual(a.messages, b.messages)
    assert.deepEqual(a.faults, b.faults)
    assert.deepEqual(a.lookups, b.lookups)
    assert.equal(simIdentity(7, 3).peerId, simIdentity(7, 3).peerId)
    assert.notEqual(simIdentity(7, 3).peerId, simIdentity(8, 3).peerId)
    const other = makePlan(parseScenario({ ...JSON.parse(JSON.stringify(s)), seed: 8 }))
    assert.notDeepEqual(other.messages, a.messages)
  })

  it('adding faults leaves the workload unchanged', () => {
    const plain = makePlan(parseScenario({ nodes: 30, seed: 3, workload: { messages: 100 } }))
    const faulty = makePlan(
      parseScenario({
        nodes: 30,
        seed: 3,
        workload: { messages: 100 },
        faults: [
          { type: 'partition', at: 2, duration: 3 },
          { type: 'churn', fraction: 0.3 },
          { type: 'misbehave', fraction: 0.1 }
        ]
      })
    )
    assert.deepEqual(faulty.messages, plain.messages)
    assert.equal(faulty.misbehaving.length, 3)
    assert.ok(faulty.faults.some((f) => f.kind === 'partition'))
    assert.ok(faulty.faults.filter((f) => f.kind === 'down').length === 8)
  })

  it('messages are Poisson over the duration between distinct random pairs', () => {
    const p = makePlan(parseScenario({ nodes: 10, seed: 1, workload: { messages: 2000, duration: 100 } }))
    assert.equal(p.messages.length, 2000)
    for (const m of p.messages) {
      assert.notEqual(m.from, m.to)
      assert.ok(m.from >= 0 && m.from < 10 && m.to >= 0 && m.to < 10)
      assert.ok(m.at >= 0 && m.at <= 100_000)
    }
    for (let i = 1; i < p.messages.length; i++) assert.ok(p.messages[i]!.at >= p.messages[i - 1]!.at)
    // exponential gaps: mean near 50 ms, and a coefficient of variation near 1 (not a fixed rate)
    const gaps = p.messages.slice(1).map((m, i) => m.at - p.messages[i]!.at)
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length)
    assert.ok(mean > 40 && mean < 60, `mean gap ${mean}`)
    assert.ok(sd / mean > 0.8 && sd / mean < 1.2, `cv ${sd / mean}`)
  })

  it('derived random streams are independent and reproducible', () => {
    const a = derive(1, 'x')
    const b = derive(1, 'x')
    const c = derive(1, 'y')
    const sa = Array.from({ length: 5 }, () => a.next())
    assert.deepEqual(
      sa,
      Array.from({ length: 5 }, () => b.next())
    )
    assert.notDeepEqual(
      sa,
      Array.from({ length: 5 }, () => c.next())
    )
  })

  it('bad scenarios are refused with a clear ScenarioError', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ nodes: 1 }, /nodes must be >= 2/],
      [{ nodes: 'ten' }, /nodes must be integer/],
      [{ nodez: 10 }, /additional properties \(nodez\)/],
      [{ faults: [{ type: 'meteor' }] }, /faults/],
      [{ workers: 2, transport: 'memory' }, /TCP/],
      [{ link: { loss: 0.9 } }, /loss must be <= 0.5/],
      [{ faults: [{ type: 'churn', fraction: 0.1, window: [5, 1] }] }, /low to high/],
      [{ dht: { alpha: 0 } }, /alpha must be >= 1/],
      [{ dht: { kBucketSize: 2 } }, /additional properties \(kBucketSize\)/],
      [{ dht: { verifyNewContacts: 'no' } }, /verifyNewContacts must be boolean/],
      [{ publish: 'later' }, /publish must be equal to one of the allowed values/],
      ['not an object', /must be object/]
    ]
    for (const [input, message] of bad) {
      assert.throws(
        () => parseScenario(input),
        (err: Error) => err instanceof ScenarioError && message.test(err.message),
        JSON.stringify(input)
      )
    }
  })

  it('publishes as nodes start unless the scenario holds profiles until every node has joined', () => {
    assert.equal(parseScenario({ nodes: 10 }).publish, 'on-start')
    assert.equal(parseScenario({ nodes: 10, publish: 'after-join' }).publish, 'after-join')
  })

  it('reads scenario files and explains bad JSON', () => {
    const dir = tempDir()
    try {
      const good = join(dir.path, 'good.json')
      writeFileSync(good, JSON.stringify({ nodes: 12, faults: [{ type: 'partition', at: 1, duration: 2, groups: 3 }] }))
      const s = readScenarioFile(good)
      assert.equal(s.nodes, 12)
      assert.deepEqual(s.faults[0], { type: 'partition', at: 1, duration: 2, groups: 3 })
      const broken = join(dir.path, 'broken.json')
      writeFileSync(broken, '{ "nodes": 12,')
      assert.throws(() => readScenarioFile(broken), /not valid JSON/)
      assert.throws(() => readScenarioFile(join(dir.path, 'missing.json')), /cannot read .*ENOENT/)
    } finally {
      dir.cleanup()
    }
  })
})
